using SmbRoot.Core.Control;
using SmbRoot.Core.Shutdown;

namespace SmbRoot.Core.Guard;

/// <summary>What happens to PID 1 in guard mode; the poll loop turns fds, signals and timers into these.</summary>
public abstract record GuardEvent
{
    /// <summary>A signal to PID 1: SIGINT is ctrl-alt-del (reboot(2) CAD_OFF), SIGPWR a power failure, SIGTERM someone's kill.</summary>
    public sealed record Signal(int Number) : GuardEvent;

    public sealed record ChildExited(int Pid, WaitStatus Status) : GuardEvent;

    /// <summary>A control-socket request; <paramref name="Request"/> is null when it did not decode.</summary>
    public sealed record Control(ControlRequest? Request, int Uid, int Pid) : GuardEvent;

    /// <summary>Time passed: deadlines are checked.</summary>
    public sealed record Tick : GuardEvent;
}

/// <summary>What the poll loop must do; each is one syscall or one message.</summary>
public abstract record GuardAction
{
    public sealed record Forward(int Signal) : GuardAction;

    /// <summary>Ask the system's init to shut down its own way (sysvinit's initctl, busybox's signals, SIGTERM).</summary>
    public sealed record AskToShutDown(ShutdownVerb Verb) : GuardAction;

    /// <summary>SIGTERM to every process of the system but its init.</summary>
    public sealed record TerminateSystem : GuardAction;

    /// <summary>SIGKILL to the system's init; the kernel then kills everything left in its namespace (kernel/pid_namespace.c, zap_pid_ns_processes).</summary>
    public sealed record KillSystem : GuardAction;

    public sealed record Say(string Text, bool Warning = false) : GuardAction;

    /// <summary>The answer to the control request being handled; <see cref="Status"/> asks the loop for the status text.</summary>
    public sealed record Reply(string Text) : GuardAction;

    public sealed record ReplyStatus : GuardAction;

    /// <summary>The system is gone: release the root, then end the machine with <paramref name="Verb"/> (<paramref name="LoadNext"/>: see <see cref="ControlRequest.Relinquish"/>).</summary>
    public sealed record EnterFinalStage(ShutdownVerb Verb, bool LoadNext = false) : GuardAction;
}

/// <summary>
/// Guard mode's decisions, with no syscalls: PID 1 supervises the system's init (PID 1 of a child
/// PID namespace). Relinquish asks the init to shut down, and after the deadline PID 1 sends
/// SIGTERM to what is left, then SIGKILL after <see cref="KillGrace"/>. When the init is gone,
/// the machine says how the machine ends.
/// </summary>
public sealed class GuardMachine(int systemPid, ShutdownVerb haltVerb)
{
    public const int SIGHUP = 1, SIGINT = 2, SIGTERM = 15, SIGPWR = 30;

    /// <summary>Between SIGTERM and SIGKILL when PID 1 stops a system that did not stop by itself.</summary>
    public static readonly TimeSpan KillGrace = TimeSpan.FromSeconds(10);

    private enum Phase { Running, Relinquishing, Terminating, Killed, Ended }

    private Phase _phase = Phase.Running;
    private ShutdownVerb? _requested;
    private bool _loadNext;
    private TimeSpan _deadline = TimeSpan.MaxValue;
    private TimeSpan _relinquishTimeout;

    public int SystemPid => systemPid;

    public bool Ended => _phase == Phase.Ended;

    /// <summary>When the machine next needs a <see cref="GuardEvent.Tick"/>, on the loop's clock; MaxValue when nothing is due.</summary>
    public TimeSpan NextDeadline => _deadline;

    /// <summary>One line for <c>init status</c>.</summary>
    public string Describe(TimeSpan now) => _phase switch
    {
        Phase.Running => $"a halt or power-off inside the system becomes {haltVerb.Name()}",
        Phase.Relinquishing => $"relinquish ({_requested!.Value.Name()}) in progress; SIGTERM to what is left in {Left(now)}s",
        Phase.Terminating => $"relinquish ({_requested!.Value.Name()}): the system was sent SIGTERM; SIGKILL in {Left(now)}s",
        _ => $"the system is being stopped; then {(_requested ?? haltVerb).Name()}",
    };

    private int Left(TimeSpan now) => (int)Math.Ceiling(Math.Max(0, (_deadline - now).TotalSeconds));

    public IReadOnlyList<GuardAction> Handle(GuardEvent e, TimeSpan now)
    {
        if (_phase == Phase.Ended) return [];
        return e switch
        {
            GuardEvent.Signal s => OnSignal(s.Number),
            GuardEvent.ChildExited c when c.Pid == systemPid => OnInitExit(c.Status),
            GuardEvent.ChildExited => [],
            GuardEvent.Control c => OnControl(c, now),
            GuardEvent.Tick => OnTick(now),
            _ => [],
        };
    }

    private static IReadOnlyList<GuardAction> OnSignal(int number) => number switch
    {
        SIGTERM => [new GuardAction.Say("guard: PID 1 got SIGTERM; PID 1 is not stopped by signals, use 'init relinquish'")],
        // Ctrl-alt-del and power failure: the system's init has its own rules for them (inittab's ctrlaltdel, powerfail).
        _ => [new GuardAction.Forward(number)],
    };

    private IReadOnlyList<GuardAction> OnInitExit(WaitStatus status)
    {
        // kernel/pid_namespace.c, reboot_pid_ns: reboot(2) inside the namespace kills its init
        // with SIGHUP for a restart and SIGINT for halt or power-off.
        var fromSignal = status.Signaled ? status.TermSignal switch { SIGHUP => ShutdownVerb.Reboot, SIGINT => haltVerb, _ => (ShutdownVerb?)null } : null;
        string how = status.Exited ? $"exited with status {status.ExitCode}"
            : status.TermSignal is SIGHUP or SIGINT ? $"asked the kernel to {(status.TermSignal == SIGHUP ? "restart" : "halt or power off")}"
            : $"was killed by signal {status.TermSignal}";
        var verb = _requested ?? fromSignal ?? haltVerb;
        _phase = Phase.Ended;
        _deadline = TimeSpan.MaxValue;
        return [new GuardAction.Say($"guard: the system's init {how}; releasing the root, then {verb.Name()}"), new GuardAction.EnterFinalStage(verb, _loadNext)];
    }

    private IReadOnlyList<GuardAction> OnControl(GuardEvent.Control c, TimeSpan now)
    {
        if (c.Uid != 0) return [new GuardAction.Reply($"error: only root may control PID 1 (you are uid {c.Uid})")];
        switch (c.Request)
        {
            case ControlRequest.Status:
                return [new GuardAction.ReplyStatus()];
            case ControlRequest.Relinquish r when _phase == Phase.Running:
                _requested = r.Verb;
                _loadNext = r.LoadNext;
                _relinquishTimeout = r.Deadline;
                _phase = Phase.Relinquishing;
                _deadline = now + r.Deadline;
                return
                [
                    new GuardAction.AskToShutDown(r.Verb),
                    new GuardAction.Say($"guard: relinquish requested by pid {c.Pid}; {r.Deadline.TotalSeconds:0}s before PID 1 stops what is left"),
                    new GuardAction.Reply($"relinquishing: the system shuts down its own way; after {r.Deadline.TotalSeconds:0}s PID 1 stops what is left, " +
                        $"then releases the root and does {r.Verb.Name()}" + (r.LoadNext ? " into the kernel named after the image the pointer names now." : ".")),
                ];
            case ControlRequest.Relinquish:
                return [new GuardAction.Reply($"error: already relinquishing: {Describe(now)}")];
            default:
                return [new GuardAction.Reply("error: unknown request; expected 'status' or 'relinquish VERB SECONDS'")];
        }
    }

    private IReadOnlyList<GuardAction> OnTick(TimeSpan now)
    {
        if (now < _deadline) return [];
        switch (_phase)
        {
            case Phase.Relinquishing:
                _phase = Phase.Terminating;
                _deadline = now + KillGrace;
                return
                [
                    new GuardAction.Say($"guard: the system did not finish shutting down within {_relinquishTimeout.TotalSeconds:0}s; " +
                        $"sending SIGTERM to its processes, SIGKILL in {KillGrace.TotalSeconds:0}s", Warning: true),
                    new GuardAction.TerminateSystem(),
                ];
            case Phase.Terminating:
                _phase = Phase.Killed;
                _deadline = TimeSpan.MaxValue;
                return [new GuardAction.Say("guard: stopping what is left of the system with SIGKILL", Warning: true), new GuardAction.KillSystem()];
            default:
                _deadline = TimeSpan.MaxValue;
                return [];
        }
    }
}
