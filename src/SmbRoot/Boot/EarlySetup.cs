using SmbRoot.Core.Sys;
using SmbRoot.Interop;

namespace SmbRoot.Boot;

/// <summary>Step 1: the kernel filesystems and the console, before anything can be logged to kmsg.</summary>
public static class EarlySetup
{
    public static void Run()
    {
        const ulong nosuidNoexecNodev = 2 | 8 | 4;
        MountOnce("proc", "/proc", "proc", nosuidNoexecNodev, null);
        MountOnce("sysfs", "/sys", "sysfs", nosuidNoexecNodev, null);
        MountOnce("devtmpfs", "/dev", "devtmpfs", 2 /* nosuid */, "mode=0755");
        MountOnce("tmpfs", "/run", "tmpfs", 2 | 4, "mode=0755");
        EnsureConsole();
    }

    public static void MountOnce(string source, string target, string type, ulong flags, string? data)
    {
        Sys.MakeDirectory(target);
        try
        {
            Sys.Mount(source, target, type, flags, data);
        }
        catch (SysException e) when (e.Errno == Errno.EBUSY)
        {
            // Already mounted (a retry after the rescue shell).
        }
    }

    /// <summary>
    /// If the kernel could not open /dev/console for us (no node in the archive), fds 0-2 are
    /// closed; open the console now that devtmpfs is there, so messages and prompts have somewhere to go.
    /// </summary>
    private static void EnsureConsole()
    {
        if (Sys.Exists("/proc/self/fd/0")) return;
        try
        {
            int fd = Sys.Open("/dev/console", Sys.O_RDWR);
            Sys.Dup2(fd, 0);
            Sys.Dup2(fd, 1);
            Sys.Dup2(fd, 2);
            if (fd > 2) Sys.Close(fd);
        }
        catch (SysException)
        {
            // No console at all: the kernel log is all there is.
        }
    }
}
