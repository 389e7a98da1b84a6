using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using SmbRoot.Boot;
using SmbRoot.Core.Cifs;
using SmbRoot.Core.Control;
using SmbRoot.Core.Guard;
using SmbRoot.Core.Kernel;
using SmbRoot.Interop;
using SmbRoot.Logging;
using SmbRoot.Network;
using SmbRoot.Resources;

namespace SmbRoot.Guard;

/// <summary>
/// Guard mode's poll loop: this process stays the real PID 1 while the system runs in a child PID
/// namespace. It turns descriptors, signals, exited children and time into events for
/// <see cref="GuardMachine"/>, and the machine's actions into syscalls. No turn waits longer than
/// <see cref="PollInterval"/>: DHCP and netlink are parts of the loop, not calls that block it.
/// <para>Which thread of PID 1 sees what:</para>
/// <list type="bullet">
/// <item>this loop (the main thread), the one decider: the control socket, exited children (SIGCHLD
///   is left to waitpid), netlink and DHCP, the layer's usage, the guard's timers, and what the
///   share's answers mean (<see cref="Fencing.Decisions"/>: a proof and the watchdog's feeding, a
///   lost claim, an image replaced on the server, the console lines about them);</item>
/// <item>the runtime's signal thread: SIGINT, SIGTERM and SIGPWR, only queued for this loop and
///   woken through a pipe (<see cref="PosixSignalRegistration"/> with Cancel);</item>
/// <item>"holder renewal" (<see cref="Fencing.HolderGuard"/>) and "image watch"
///   (<see cref="ImageWatch"/>, read-only images): they only ask the server, because a question
///   blocks for as long as the share is cut off, and post each answer to this loop;</item>
/// <item>"fence" (<see cref="Fencing.OwnershipFence"/>): the backstop, its deadline only; it
///   reboots when the ownership lapses or is lost, waits on nothing the others hold, and never on
///   the console.</item>
/// </list>
/// Only this loop and the fence thread end the machine. The threads are contained
/// (<see cref="Fencing.BackgroundWork"/>): what escapes one is reported and it starts again, so none of them can end PID 1.
/// </summary>
public sealed class Supervisor
{
    private readonly BootContext _context;
    private readonly BootedRoot _booted;
    private readonly string _timing;

    /// <param name="timing">the boot's timing line, for <c>init status</c></param>
    public Supervisor(BootContext context, BootedRoot booted, string timing) => (_context, _booted, _timing) = (context, booted, timing);

    public static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    /// <summary>Control connections served per turn, so that a flood cannot starve reaping and deadlines.</summary>
    private const int ClientsPerTurn = 8;

    private readonly ConcurrentQueue<int> _signals = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    /// <summary>Starts the system's init and supervises it; returns how the machine should end once the init is gone.</summary>
    public GuardAction.EnterFinalStage Run(string init, IReadOnlyList<string> initArguments)
    {
        var log = _context.Log;
        try
        {
            Sys.DisableCtrlAltDel();
        }
        catch (SysException e)
        {
            log.Warn($"guard: ctrl-alt-del stays an instant reboot, without releasing the root: {e.Message}");
        }
        int listener = ControlSocket.Listen();
        using var wakeup = new WakeupPipe();
        _context.Decisions.DecideIn(wakeup.Wake);
        var registrations = new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM, (PosixSignal)Sys.SIGPWR }
            .Select(signal => PosixSignalRegistration.Create(signal, s =>
            {
                s.Cancel = true;
                _signals.Enqueue(SignalNumber(s.Signal));
                wakeup.Wake();
            })).ToArray();
        try
        {
            int systemPid = EnterSystem.Spawn(init, initArguments);
            var machine = new GuardMachine(systemPid, _context.Plan.HaltVerb);
            using var network = new NetworkGuard(log, _booted.Network, _context.Plan.Network.HostName, _clock.Elapsed);
            log.Say($"guard: the system's init {init} runs as pid {systemPid} (PID 1 of its own namespace); " +
                $"'{RetainedBinary.Client} relinquish' ends it and releases the root");
            _context.Logging.DetachKernelLog();
            var layer = _context.Plan.Overlay is { } overlay ? new LayerWatch(log, overlay) : null;
            if (_booted.Image is { } image && ImageWatch.For(_booted.Share, image) is { } watched) ImageWatch.Start(log, watched, _context.Decisions);
            LoopErrorWatch.Start(log, new[] { _booted.Image, _booted.Layer }.OfType<Resources.LoopAttachment>()
                .ToDictionary(loop => Path.GetFileName(loop.Device), loop => $"the {loop.Role} {loop.Image}"));
            var loop = new Turn(this, machine, network, layer, listener, wakeup);
            while (true)
            {
                try
                {
                    if (loop.Run() is { } ending) return ending;
                }
                catch (Exception e)
                {
                    // PID 1 outlives its own bugs: report, and go on supervising.
                    log.Error($"guard: unexpected {e.GetType().Name}: {e.Message}; supervision goes on");
                }
            }
        }
        finally
        {
            _context.Decisions.DecideIn(null); // before the wake-up pipe closes
            foreach (var registration in registrations) registration.Dispose();
            Sys.Close(listener);
        }
    }

    /// <summary>The runtime reports SIGINT and SIGTERM as its own negative enum values.</summary>
    private static int SignalNumber(PosixSignal signal) => signal switch
    {
        PosixSignal.SIGINT => Sys.SIGINT,
        PosixSignal.SIGTERM => Sys.SIGTERM,
        _ => (int)signal,
    };

    /// <summary>One turn of the loop: wait, then signals, control requests, exited children, network, time.</summary>
    private sealed class Turn(Supervisor owner, GuardMachine machine, NetworkGuard network, LayerWatch? layer, int listener, WakeupPipe wakeup)
    {
        private GuardAction.EnterFinalStage? _ending;

        public GuardAction.EnterFinalStage? Run()
        {
            var now = owner._clock.Elapsed;
            var next = Min(machine.NextDeadline, network.NextDeadline);
            var wait = next <= now ? TimeSpan.Zero : Min(next - now, PollInterval);
            var ready = Sys.PollReadable([listener, wakeup.ReadFd, network.PollFd, network.PollFd6], wait);
            now = owner._clock.Elapsed;

            wakeup.Drain();
            owner._context.Decisions.RunPending();
            while (owner._signals.TryDequeue(out int signal)) Apply(machine.Handle(new GuardEvent.Signal(signal), now));
            for (int i = 0; ready[0] && i < ClientsPerTurn && ControlSocket.Accept(listener) is { } client; i++) Serve(client, now);
            while (Reap() is { } exited) Apply(machine.Handle(new GuardEvent.ChildExited(exited.Pid, new WaitStatus(exited.Status)), now));
            if (_ending is { } ended) return ended;
            if (ready[2] || ready[3]) network.OnReadable(now);
            network.OnTimer(now);
            layer?.OnTimer(now);
            Apply(machine.Handle(new GuardEvent.Tick(), now));
            return null;
        }

        private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

        /// <summary>What protects the share's messages, from /proc/fs/cifs/DebugData and the share's mount options.</summary>
        private string ShareProtection()
        {
            try
            {
                string options = MountTree.Read().Entries.LastOrDefault(m => m.MountPoint == owner._booted.Share.MountPoint)?.SuperOptions ?? "";
                return DebugData.DescribeShare(File.ReadAllText("/proc/fs/cifs/DebugData"), options);
            }
            catch (IOException e)
            {
                return $"unknown ({e.Message})";
            }
        }

        /// <summary>One exited child, or null when none has exited (ECHILD: none is left at all).</summary>
        private static (int Pid, int Status)? Reap()
        {
            try { return Sys.WaitPid(-1, noHang: true); }
            catch (SysException e) when (e.Errno == Errno.ECHILD) { return null; }
        }

        private void Serve((int Fd, int Uid, int Pid) client, TimeSpan now)
        {
            try
            {
                // Nothing is read from a non-root peer: the machine refuses it by its uid alone.
                string? text = client.Uid == 0 ? ControlSocket.Receive(client.Fd) : null;
                var request = text is null ? null : ControlMessages.Decode(text);
                Apply(machine.Handle(new GuardEvent.Control(request, client.Uid, client.Pid), now), client.Fd);
            }
            catch (SysException e)
            {
                owner._context.Log.Warn($"guard: serving a control request from pid {client.Pid}: {e.Message}");
            }
            finally
            {
                Sys.Close(client.Fd);
            }
        }

        private void Apply(IReadOnlyList<GuardAction> actions, int clientFd = -1)
        {
            var log = owner._context.Log;
            if (actions.Any(a => a is GuardAction.EnterFinalStage)) owner._context.Logging.AttachKernelLog();
            foreach (var action in actions)
            {
                switch (action)
                {
                    case GuardAction.Forward f:
                        log.Debug($"guard: passing signal {f.Signal} to the system's init");
                        Sys.Signal(machine.SystemPid, f.Signal);
                        break;
                    case GuardAction.AskToShutDown ask:
                        log.Say("guard: " + SystemInit.AskToShutDown(machine.SystemPid, ask.Verb));
                        break;
                    case GuardAction.TerminateSystem:
                        log.Warn($"guard: sent SIGTERM to its {SystemProcesses.TerminateAll(machine.SystemPid)} process(es)");
                        break;
                    case GuardAction.KillSystem:
                        Sys.Signal(machine.SystemPid, Sys.SIGKILL);
                        break;
                    case GuardAction.Say say when say.Warning:
                        log.Warn(say.Text);
                        break;
                    case GuardAction.Say say:
                        log.Say(say.Text);
                        break;
                    case GuardAction.Reply reply:
                        ControlSocket.Send(clientFd, reply.Text);
                        break;
                    case GuardAction.ReplyStatus:
                        ControlSocket.Send(clientFd, StatusText.Format(owner._context.Plan, owner._booted, machine.SystemPid,
                            SystemInit.Kind(machine.SystemPid), network.Lease, machine.Describe(owner._clock.Elapsed), ShareProtection(), owner._timing,
                            Core.Kernel.ProcStatus.Kib(File.ReadAllText("/proc/self/status"), "VmRSS"),
                            owner._context.Plan.Overlay is { } overlay ? LayerWatch.Describe(overlay, owner._booted.Layer) : null));
                        break;
                    case GuardAction.EnterFinalStage enter:
                        _ending = enter;
                        break;
                }
            }
        }
    }
}
