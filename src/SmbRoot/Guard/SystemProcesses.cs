using SmbRoot.Interop;

namespace SmbRoot.Guard;

/// <summary>The system's processes as PID 1 sees them: every process but itself and the kernel's threads.</summary>
public static class SystemProcesses
{
    /// <summary>
    /// SIGTERM to every user process but the system's init (which would take it as a request of
    /// its own). Returns how many got it.
    /// </summary>
    public static int TerminateAll(int systemPid)
    {
        int count = 0;
        foreach (var entry in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), out int pid) || pid == 1 || pid == systemPid) continue;
            bool kernelThread;
            try { kernelThread = File.ReadAllBytes(entry + "/cmdline").Length == 0; }
            catch (IOException) { continue; }
            if (!kernelThread && Sys.Signal(pid, Sys.SIGTERM)) count++;
        }
        return count;
    }
}
