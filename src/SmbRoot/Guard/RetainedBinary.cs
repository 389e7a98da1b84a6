using SmbRoot.Core.State;

namespace SmbRoot.Guard;

/// <summary>
/// This binary as the retained ramdisk holds it, under two names. It is linked static (libc
/// inside, no ELF interpreter), so it runs from any root, even a static busybox one without
/// /lib64/ld-linux-x86-64.so.2, and after the system's root is gone.
/// </summary>
public static class RetainedBinary
{
    /// <summary>The final stage, by the name systemd runs it (bootup(7)); also what PID 1 spawns.</summary>
    public const string Path = RetainedRamdisk.MountPoint + "/shutdown";

    /// <summary>The same file for the system's users: <c>/run/initramfs/init status | relinquish ...</c>.</summary>
    public const string Client = RetainedRamdisk.MountPoint + "/init";
}
