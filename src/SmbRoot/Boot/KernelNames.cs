namespace SmbRoot.Boot;

/// <summary>What the kernel names for this boot: a random UUID and the host name the network step set.</summary>
public static class KernelNames
{
    /// <summary>
    /// The kernel's random v4 UUID (drivers/char/random.c, proc_do_uuid): it does not wait for the
    /// entropy pool, and .NET's own random source is not there this early.
    /// </summary>
    public static Guid RandomUuid() => Guid.Parse(File.ReadAllText("/proc/sys/kernel/random/uuid").Trim());

    /// <summary>The host name, or null while it is the kernel's "(none)".</summary>
    public static string? HostName() => File.ReadAllText("/proc/sys/kernel/hostname").Trim() is { Length: > 0 } name and not "(none)" ? name : null;
}
