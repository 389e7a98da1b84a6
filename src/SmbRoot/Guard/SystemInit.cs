using SmbRoot.Core.Control;
using SmbRoot.Core.Shutdown;
using SmbRoot.Interop;

namespace SmbRoot.Guard;

/// <summary>How to ask the system's init to shut down its own way, the way its own tools ask it.</summary>
public static class SystemInit
{
    private const string InitctlFifo = "/run/initctl";

    /// <summary>What kind of init runs as <paramref name="pid"/>, from its executable.</summary>
    public static string Kind(int pid)
    {
        string exe;
        try { exe = Sys.ReadLink($"/proc/{pid}/exe"); }
        catch (SysException) { return "unknown"; }
        string name = System.IO.Path.GetFileName(exe.Replace(" (deleted)", ""));
        if (name == "busybox") return "busybox init";
        if (IsFifo(InitctlFifo)) return "sysvinit";
        return name;
    }

    /// <summary>Sends the request; returns what was done, for the console and the client.</summary>
    public static string AskToShutDown(int pid, ShutdownVerb verb)
    {
        string kind = Kind(pid);
        if (kind == "busybox init")
        {
            // busybox init/init.c: SIGUSR1 halt, SIGUSR2 poweroff, SIGTERM reboot (a kexec too: the final stage makes it one).
            int signal = verb switch { ShutdownVerb.Halt => Sys.SIGUSR1, ShutdownVerb.PowerOff => Sys.SIGUSR2, _ => Sys.SIGTERM };
            Sys.Kill(pid, signal);
            return $"sent busybox init the signal for {verb.Name()}";
        }
        if (kind == "sysvinit")
        {
            char runlevel = verb is ShutdownVerb.Reboot or ShutdownVerb.Kexec ? '6' : '0';
            int fd = Sys.Open(InitctlFifo, Sys.O_WRONLY | Sys.O_NONBLOCK);
            try { Sys.WriteAll(fd, InitctlRequest.ChangeRunlevel(runlevel), InitctlFifo); }
            finally { Sys.Close(fd); }
            return $"asked sysvinit for runlevel {runlevel} through {InitctlFifo}";
        }
        Sys.Kill(pid, Sys.SIGTERM);
        return $"sent SIGTERM to the system's init ({kind})";
    }

    private static bool IsFifo(string path)
    {
        try { return (Sys.Stat(path).Mode & Sys.S_IFMT) == Sys.S_IFIFO; }
        catch (SysException) { return false; }
    }
}
