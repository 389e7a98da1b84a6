namespace SmbRoot.Core.Overlay;

/// <summary>
/// /etc/machine-id for a machine whose writable layer starts empty: 32 lower-case hex digits of a
/// random UUID v4, the form systemd writes (machine-id(5)). A golden image's own id would make
/// every machine of the fleet the same one to D-Bus, journald and DHCP clients that use it.
/// </summary>
public static class MachineId
{
    public static string Format(ReadOnlySpan<byte> random)
    {
        if (random.Length != 16) throw new ArgumentException("a machine id takes 16 random bytes", nameof(random));
        Span<byte> id = stackalloc byte[16];
        random.CopyTo(id);
        id[6] = (byte)((id[6] & 0x0f) | 0x40); // version 4
        id[8] = (byte)((id[8] & 0x3f) | 0x80); // RFC 4122 variant
        return Convert.ToHexString(id).ToLowerInvariant();
    }
}
