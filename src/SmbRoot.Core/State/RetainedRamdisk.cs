namespace SmbRoot.Core.State;

/// <summary>
/// Where the ramdisk that outlives the root sits while the system runs: systemd's name for it,
/// which systemd pivots into at its end to run the shutdown binary there (bootup(7)).
/// </summary>
public static class RetainedRamdisk
{
    public const string MountPoint = "/run/initramfs";
}
