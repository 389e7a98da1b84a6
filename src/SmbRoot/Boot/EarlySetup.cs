using SmbRoot.Core.Kernel;
using SmbRoot.Core.State;
using SmbRoot.Interop;

namespace SmbRoot.Boot;

/// <summary>
/// Step 1: the kernel filesystems and the console, before anything can be logged to kmsg. A mount
/// that fails does not stop the others: what failed comes back, to be reported once the log is there.
/// </summary>
public static class EarlySetup
{
    public static List<string> Run()
    {
        var problems = MountKernelFilesystems();
        Try(problems, () => MountOnce("tmpfs", "/run", "tmpfs", Sys.MS_NOSUID | Sys.MS_NODEV, "mode=0755"));
        Try(problems, BindRetainedRamdisk);
        EnsureConsole();
        return problems;
    }

    /// <summary>
    /// The runtime's random numbers (string hashing, Random.Shared) come from /dev/urandom, and a
    /// read of it before the kernel's generator is ready first runs the jitter-entropy loop
    /// (drivers/char/random.c, urandom_read_iter calls try_to_generate_entropy): a second and more
    /// under QEMU without KVM, which has no RDRAND. Drawn once while there is no /dev, the runtime
    /// finds no /dev/urandom, never looks again and seeds from the clock (System.Native's
    /// pal_random.c). Nothing in the init needs a secret: the DHCP client also matches replies by MAC.
    /// </summary>
    public static void SeedRandomWithoutDevice() => _ = Random.Shared.Next();

    /// <summary>
    /// The retained ramdisk is a directory of the initramfs itself, bound on /run/initramfs, not a
    /// copy in /run: the retain step gives its files (this static binary) a second name
    /// there. PID 1 keeps running from those files after the switch, and an unlinked file that is
    /// still mapped keeps all its pages on rootfs (ramfs pages are never evicted, fs/ramfs/inode.c),
    /// so a copy would hold the same megabytes twice. systemd leaves a mount under /run/initramfs
    /// mounted until its final pivot (src/core/mount.c, mount_is_extrinsic), and then the share
    /// comes along with it: the final stage finds it at /share instead of under /oldroot.
    /// </summary>
    private static void BindRetainedRamdisk()
    {
        Sys.MakeDirectory(BootContext.RetainedInInitramfs, Sys.Mode0700);
        Sys.MakeDirectory(RetainedRamdisk.MountPoint, Sys.Mode0700);
        // Already bound (a retry after the rescue shell) when it is on the initramfs's device.
        if (Sys.Stat(RetainedRamdisk.MountPoint).Device == Sys.Stat("/").Device) return;
        Sys.Mount(BootContext.RetainedInInitramfs, RetainedRamdisk.MountPoint, null, Sys.MS_BIND, null);
    }

    /// <summary>/proc, /sys and /dev: what the boot and the final stage both need first. Returns what failed.</summary>
    public static List<string> MountKernelFilesystems()
    {
        const ulong nosuidNoexecNodev = Sys.MS_NOSUID | Sys.MS_NOEXEC | Sys.MS_NODEV;
        var problems = new List<string>();
        Try(problems, () => MountOnce("proc", "/proc", "proc", nosuidNoexecNodev, null));
        Try(problems, () => MountOnce("sysfs", "/sys", "sysfs", nosuidNoexecNodev, null));
        Try(problems, () => MountOnce("devtmpfs", "/dev", "devtmpfs", Sys.MS_NOSUID, "mode=0755"));
        return problems;
    }

    private static void Try(List<string> problems, Action mount)
    {
        try
        {
            mount();
        }
        catch (Exception e)
        {
            problems.Add(e.Message);
        }
    }

    private static void MountOnce(string source, string target, string type, ulong flags, string? data)
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
