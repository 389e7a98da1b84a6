namespace SmbRoot.Core.Fencing;

/// <summary>
/// Who this machine is, for the holder record: its MAC as the record writes it, its SMBIOS system
/// UUID where the firmware gives a real one (/sys/class/dmi/id/product_uuid), and this boot's id.
/// A record with the same MAC and the same UUID from another boot is this machine's own earlier
/// boot; the MAC alone is not enough, because cloned VMs share it.
/// </summary>
public sealed record MachineIdentity(string Mac, string? Uuid, string BootId)
{
    /// <summary>
    /// The firmware's system UUID, or null where it names no machine: absent, all zeros or all ones
    /// (no UUID set: SMBIOS 2.6, 7.2.1), or the placeholder some boards ship with.
    /// </summary>
    public static string? UsableUuid(string? text)
    {
        string? uuid = text?.Trim().ToLowerInvariant();
        if (uuid is null || !Guid.TryParse(uuid, out var parsed)) return null;
        string hex = parsed.ToString("N");
        return hex.All(c => c == '0') || hex.All(c => c == 'f') || hex == "03000200040005000006000700080009" ? null : parsed.ToString("D");
    }

    /// <summary>Whether <paramref name="record"/> was written by an earlier boot of this very machine.</summary>
    public bool WroteEarlier(HolderRecord record) =>
        Uuid is not null && record.BootId != BootId && string.Equals(record.Machine, Mac, StringComparison.OrdinalIgnoreCase)
        && string.Equals(record.MachineUuid, Uuid, StringComparison.OrdinalIgnoreCase);

    /// <summary>Whether <paramref name="record"/> names this machine's MAC.</summary>
    public bool SharesMac(HolderRecord record) => string.Equals(record.Machine, Mac, StringComparison.OrdinalIgnoreCase);
}
