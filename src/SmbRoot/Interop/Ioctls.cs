namespace SmbRoot.Interop;

/// <summary>
/// The ioctls beside the loop device's (<see cref="Loop"/>), each named for what it does; their
/// request numbers are checked against the C headers (KernelHeaderTests).
/// </summary>
public static unsafe partial class Sys
{
    /// <summary>_IOWR('W', 6, int), include/uapi/linux/watchdog.h.</summary>
    public const uint WDIOC_SETTIMEOUT = 0xC0045706;

    /// <summary>_IOW('f', 16, __u64), include/uapi/linux/ext4.h.</summary>
    public const uint EXT4_IOC_RESIZE_FS = 0x40086610;

    /// <summary>Sets a watchdog's timeout; the driver may round it (drivers/watchdog/watchdog_dev.c).</summary>
    public static void SetWatchdogTimeout(int fd, int seconds, string what) => Ioctl(fd, WDIOC_SETTIMEOUT, &seconds, what);

    /// <summary>Grows a mounted ext4 to <paramref name="blocks"/> blocks, through a descriptor of any directory on it (fs/ext4/ioctl.c, fs/ext4/resize.c).</summary>
    public static void GrowExt4(int directoryFd, ulong blocks, string what) => Ioctl(directoryFd, EXT4_IOC_RESIZE_FS, &blocks, what);
}
