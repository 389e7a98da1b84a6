namespace SmbRoot.Admin;

/// <summary>
/// <c>layer reset</c> and <c>layer remove</c>: a machine's persistent layer started afresh (its
/// start zeroed and its holder record removed, so the next boot gives it an empty filesystem, as
/// for a file an administrator made with truncate) or removed, once its holder is gone (<see cref="HolderGate"/>).
/// </summary>
public static class LayerCommands
{
    /// <summary>The boot looks at the first 64 KiB for a superblock; a mebibyte of zeros covers ext4's superblock and group descriptors.</summary>
    private const int ZeroedBytes = 1 << 20;

    public static int Run(ShareDirectory share, string action, string layer, bool now, string? confirm, TimeSpan margin, TextWriter output, TextWriter error)
    {
        string verb = $"layer {action}";
        if (!File.Exists(share.FullPath(layer)))
        {
            error.WriteLine($"{verb}: {layer} is not there");
            return 1;
        }
        var gate = new HolderGate(share, layer, verb, output, error);
        if (!gate.Passes(now, confirm, margin)) return now ? 2 : 1;
        if (!gate.Unchanged()) return 1;
        if (action == "reset")
        {
            using (var stream = new FileStream(share.FullPath(layer), FileMode.Open, FileAccess.Write, FileShare.ReadWrite, 1, FileOptions.WriteThrough))
            {
                stream.Write(new byte[(int)Math.Min(ZeroedBytes, stream.Length)]);
                stream.Flush(flushToDisk: true);
            }
            File.Delete(share.FullPath(gate.RecordPath));
            output.WriteLine($"layer reset: {layer} starts afresh: the next boot gives it an empty filesystem ({new FileInfo(share.FullPath(layer)).Length >> 20} MiB, its size kept); what it held is lost");
        }
        else
        {
            File.Delete(share.FullPath(gate.RecordPath));
            File.Delete(share.FullPath(layer));
            output.WriteLine($"layer remove: {layer} and its holder record are gone; a boot with rd.overlay.create= makes a new one");
        }
        return 0;
    }
}
