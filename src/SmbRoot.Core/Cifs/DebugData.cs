namespace SmbRoot.Core.Cifs;

/// <summary>
/// What the cifs client says about its sessions in /proc/fs/cifs/DebugData: each session's line
/// ends " SessionId: 0x... [encrypted] [signed]" (fs/smb/client/cifs_debug.c,
/// cifs_debug_data_proc_show). The guard reads it for <c>init status</c>: what was negotiated, not what was asked.
/// </summary>
public static class DebugData
{
    public readonly record struct Protection(bool Signed, bool Encrypted)
    {
        public override string ToString() => Encrypted ? "encrypted" + (Signed ? " and signed" : "") : Signed ? "signed" : "neither signed nor encrypted";
    }

    /// <summary>The protection of every session the client has; none when it has none.</summary>
    public static IReadOnlyList<Protection> Sessions(string debugData) =>
        debugData.Split('\n')
            .Where(line => line.Contains(" SessionId: 0x", StringComparison.Ordinal))
            .Select(line =>
            {
                string after = line[(line.IndexOf(" SessionId: 0x", StringComparison.Ordinal) + 1)..];
                var words = after.Split([' ', '\t', '('], StringSplitOptions.RemoveEmptyEntries);
                return new Protection(words.Contains("signed"), words.Contains("encrypted"));
            })
            .ToList();
}
