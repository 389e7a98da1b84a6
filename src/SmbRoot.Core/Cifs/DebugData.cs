namespace SmbRoot.Core.Cifs;

/// <summary>
/// What the cifs client says about its sessions in /proc/fs/cifs/DebugData: each session's line
/// ends " SessionId: 0x... [encrypted] [signed]" (fs/cifs/cifs_debug.c,
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

    /// <summary>
    /// What protects the share's messages, from both places the kernel tells it: a mount with
    /// "seal" in its options has an encrypted tree (fs/cifs/cifsfs.c, cifs_show_options;
    /// the tree connect fails where the server cannot encrypt), and the session line says "signed".
    /// </summary>
    public static string DescribeShare(string debugData, string shareOptions)
    {
        if (shareOptions.Split(',').Contains("seal")) return "every message of the share is encrypted (seal)";
        return Sessions(debugData) switch
        {
            [] => "unknown (the cifs client shows no session)",
            var sessions when sessions.All(s => s.Signed || s.Encrypted) => "every message of the session is " + sessions[0],
            _ => "the session is neither signed nor encrypted",
        };
    }
}
