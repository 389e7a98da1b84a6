using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.InteropServices;
using SmbRoot.Boot;
using SmbRoot.Core.Control;
using SmbRoot.Core.Shutdown;
using SmbRoot.Interop;
using SmbRoot.Logging;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace SmbRoot.Guard;

/// <summary>
/// Guard mode: this process stays the real PID 1 while the system runs in a child PID namespace.
/// One loop, in the style of tini: wait on the control socket and a self-pipe with poll(2), reap
/// with waitpid(WNOHANG), act. The runtime's signal callbacks only put the signal number in a
/// queue and wake the loop; nothing is decided on the signal thread.
/// </summary>
public sealed unsafe class Supervisor(BootContext context)
{
    private readonly ConcurrentQueue<int> _signals = new();
    private int _wakeRead = -1, _wakeWrite = -1;
    private int _systemPid;
    private ShutdownVerb? _requested;
    private Stopwatch? _relinquishClock;
    private TimeSpan _relinquishDeadline;
    private Stopwatch? _killClock;
    private readonly Network.NetworkGuard _networkGuard = new(context);

    /// <summary>Between SIGTERM and SIGKILL when PID 1 stops a system that did not stop by itself.</summary>
    private static readonly TimeSpan KillGrace = TimeSpan.FromSeconds(10);

    /// <summary>Starts the system's init and supervises it; ends by handing over to the final stage.</summary>
    public void Run(string init, IReadOnlyList<string> initArguments)
    {
        var log = context.Log;
        Sys.DisableCtrlAltDel();
        int listener = ControlSocket.Listen();
        var pipe = stackalloc int[2];
        if (pipe2(pipe, O_CLOEXEC | O_NONBLOCK) < 0) throw new SysException("pipe2", "wake-up pipe", errno);
        (_wakeRead, _wakeWrite) = (pipe[0], pipe[1]);
        var registrations = new[] { Sys.SIGINT, Sys.SIGTERM, Sys.SIGPWR }
            .Select(signal => PosixSignalRegistration.Create((PosixSignal)signal, OnSignal)).ToArray();

        _systemPid = Sys.SpawnInNewPidNamespace(RetainedBinary.Loader,
            RetainedBinary.Command("smbroot", [EnterSystem.Command, init, .. initArguments]), []);
        log.Say($"guard: the system's init {init} runs as pid {_systemPid} (PID 1 of its own namespace); " +
            $"'{RetainedBinary.ClientWrapper} relinquish' ends it and releases the root");
        context.Logging.DetachKernelLog();

        ShutdownVerb verb;
        var fds = stackalloc pollfd[2];
        while (true)
        {
            fds[0] = new pollfd { fd = listener, events = POLLIN };
            fds[1] = new pollfd { fd = _wakeRead, events = POLLIN };
            poll(fds, 2, 1000);
            try
            {
                if (Step(listener) is { } ended)
                {
                    verb = ended;
                    break;
                }
            }
            catch (Exception e)
            {
                // PID 1 outlives its own bugs: report, and go on supervising.
                log.Error($"guard: unexpected {e.GetType().Name}: {e.Message}; supervision goes on");
            }
        }
        foreach (var registration in registrations) registration.Dispose();
        close(listener);
        try
        {
            Handover.ToFinalStage(context, verb);
        }
        catch (Exception e)
        {
            log.Error($"guard: handing over to the final stage failed: {e.Message}; the image stays open on the server");
            log.Error("  check: that /run/initramfs holds the shutdown binary and its libraries (the retain step)");
            Sys.Reboot(verb);
        }
    }

    /// <summary>One turn of the loop: signals, control requests, reaping, deadlines. Returns how to end once the system's init is gone.</summary>
    private ShutdownVerb? Step(int listener)
    {
        var log = context.Log;
        DrainWakeups();
        while (_signals.TryDequeue(out int signal)) Forward(signal);
        while (ControlSocket.Accept(listener) is { } client) Serve(client.Fd, client.Uid, client.Pid);
        if (ReapSystem() is { } ended) return ended;
        _networkGuard.Check();
        if (_relinquishClock is not null && _relinquishClock.Elapsed > _relinquishDeadline)
        {
            int count = TerminateSystemProcesses();
            log.Warn($"guard: the system did not finish shutting down within {_relinquishDeadline.TotalSeconds:0}s; " +
                $"sent SIGTERM to its {count} process(es), SIGKILL in {KillGrace.TotalSeconds:0}s");
            _relinquishClock = null;
            _killClock = Stopwatch.StartNew();
        }
        if (_killClock is not null && _killClock.Elapsed > KillGrace)
        {
            // Killing the namespace's init makes the kernel kill everything left in it (kernel/pid_namespace.c, zap_pid_ns_processes).
            log.Warn("guard: stopping what is left of the system with SIGKILL");
            Sys.Kill(_systemPid, Sys.SIGKILL);
            _killClock = null;
        }
        return null;
    }

    private void OnSignal(PosixSignalContext signal)
    {
        signal.Cancel = true;
        _signals.Enqueue((int)signal.Signal);
        byte one = 1;
        _ = write(_wakeWrite, &one, 1);
    }

    private void DrainWakeups()
    {
        var buffer = stackalloc byte[64];
        while ((long)read(_wakeRead, buffer, 64) > 0) { }
    }

    /// <summary>Ctrl-alt-del (SIGINT) and power-failure (SIGPWR) go to the system's init, which has its own rules for them.</summary>
    private void Forward(int signal)
    {
        // PosixSignal.SIGINT and SIGTERM arrive as the runtime's negative enum values.
        int number = signal switch { (int)PosixSignal.SIGINT => Sys.SIGINT, (int)PosixSignal.SIGTERM => Sys.SIGTERM, _ => signal };
        if (number == Sys.SIGTERM)
        {
            context.Log.Say("guard: PID 1 got SIGTERM; PID 1 is not stopped by signals, use 'init relinquish'");
            return;
        }
        context.Log.Debug($"guard: passing signal {number} to the system's init");
        Sys.Kill(_systemPid, number);
    }

    /// <summary>
    /// SIGTERM to every user process but the system's init (which would take it as a request of
    /// its own): in guard mode every process other than PID 1 and the kernel's threads is the system's.
    /// </summary>
    private int TerminateSystemProcesses()
    {
        int count = 0;
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(System.IO.Path.GetFileName(entry), out int pid) || pid == 1 || pid == _systemPid) continue;
            bool kernelThread;
            try { kernelThread = File.ReadAllBytes(entry + "/cmdline").Length == 0; }
            catch (IOException) { continue; }
            if (!kernelThread && Sys.Kill(pid, Sys.SIGTERM) == 0) count++;
        }
        return count;
    }

    /// <summary>Reaps children; when the system's init is gone, says how the machine should end.</summary>
    private ShutdownVerb? ReapSystem()
    {
        while (true)
        {
            int pid = Sys.WaitPid(-1, out int status, noHang: true);
            if (pid <= 0) return null;
            if (pid != _systemPid) continue;
            int signal = status & 0x7F;
            int exitCode = (status >> 8) & 0xFF;
            // kernel/pid_namespace.c, reboot_pid_ns: reboot(2) inside the namespace kills its init
            // with SIGHUP for a restart and SIGINT for halt or power-off.
            var fromSignal = signal switch { Sys.SIGHUP => ShutdownVerb.Reboot, Sys.SIGINT => context.Plan.HaltVerb, _ => (ShutdownVerb?)null };
            string how = signal == 0 ? $"exited with status {exitCode}"
                : signal is Sys.SIGHUP or Sys.SIGINT ? $"asked the kernel to {(signal == Sys.SIGHUP ? "restart" : "halt or power off")}"
                : $"was killed by signal {signal}";
            var verb = _requested ?? fromSignal ?? context.Plan.HaltVerb;
            context.Logging.AttachKernelLog();
            context.Log.Say($"guard: the system's init {how}; releasing the root, then {verb.Name()}");
            return verb;
        }
    }

    private void Serve(int fd, int uid, int pid)
    {
        try
        {
            if (uid != 0)
            {
                ControlSocket.Send(fd, $"error: only root may control PID 1 (you are uid {uid})");
                return;
            }
            string? text = ControlSocket.Receive(fd);
            switch (text is null ? null : ControlMessages.Decode(text))
            {
                case ControlRequest.Status:
                    ControlSocket.Send(fd, Status());
                    break;
                case ControlRequest.Relinquish request:
                    _requested = request.Verb;
                    string done = SystemInit.AskToShutDown(_systemPid, request.Verb);
                    _relinquishClock = Stopwatch.StartNew();
                    _relinquishDeadline = request.Deadline;
                    context.Log.Say($"guard: relinquish requested by pid {pid}: {done}; {request.Deadline.TotalSeconds:0}s before PID 1 stops what is left");
                    ControlSocket.Send(fd, $"relinquishing: {done}.\nThe system shuts down its own way; after {request.Deadline.TotalSeconds:0}s PID 1 stops what is left, " +
                        $"then releases the root and does {request.Verb.Name()}.");
                    break;
                default:
                    ControlSocket.Send(fd, "error: unknown request; expected 'status' or 'relinquish VERB SECONDS'");
                    break;
            }
        }
        catch (SysException e)
        {
            ControlSocket.Send(fd, "error: " + e.Message);
        }
        finally
        {
            close(fd);
        }
    }

    private string Status()
    {
        var plan = context.Plan;
        return string.Join('\n',
            "mode:        guard (SmbRoot is PID 1; the system's init runs in its own PID namespace)",
            $"system init: {plan.Init}, pid {_systemPid} here ({SystemInit.Kind(_systemPid)})",
            $"root:        {(plan.Root.IsImage ? $"{plan.Root.Unc}/{plan.Root.ImagePathInShare}" : plan.Root.Unc)} ({context.FileSystem ?? "cifs"}, {(plan.ReadOnly ? "ro" : "rw")})",
            $"loop device: {context.LoopDevice ?? "none (the share is the root)"}",
            $"share:       {plan.Root.Unc} on {BootContext.ShareMountPoint} (hidden from the system)",
            $"network:     {context.Interface} {context.Address}/{context.PrefixLength}" + (context.Gateway is null ? "" : $" via {context.Gateway}") +
                (context.Lease is { } lease ? $", DHCP lease from {lease.Server} for {lease.LeaseTime.TotalSeconds:0}s, renewed every {lease.RenewalTime.TotalSeconds:0}s" : ", static (ip=)"),
            $"server:      {context.ServerAddress}" + (plan.Root.ServerAddress is null ? $" ({plan.Root.Server}, resolved by DNS)" : ""),
            $"at the end:  a halt or power-off inside the system becomes {plan.HaltVerb.Name()}" +
                (_requested is { } r ? $"; relinquish ({r.Name()}) in progress" : "")) + "\n";
    }
}
