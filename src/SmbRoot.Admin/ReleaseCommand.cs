using SmbRoot.Core.Fencing;

namespace SmbRoot.Admin;

/// <summary>
/// <c>release IMAGE</c>: marks a dead machine's holder record released, so the next boot takes the
/// image at once instead of waiting out the holder's deadline (<see cref="HolderGate"/> decides when).
/// </summary>
public static class ReleaseCommand
{
    public static int Run(ShareDirectory share, string image, bool now, string? confirm, TimeSpan margin, TextWriter output, TextWriter error)
    {
        var gate = new HolderGate(share, image, "release", output, error);
        if (!File.Exists(share.FullPath(gate.RecordPath)))
        {
            error.WriteLine($"release: {image} has no holder record ({gate.RecordPath}): no machine has held it read-write");
            return 1;
        }
        if (!gate.Passes(now, confirm, margin)) return now ? 2 : 1;
        if (gate.Reading is not HolderRecord.Reading.Valid { Record: { Released: false } record })
        {
            output.WriteLine($"release: {image} is free already");
            return 0;
        }
        if (!gate.Unchanged()) return 1;
        share.WriteRecord(gate.RecordPath, record with { Released = true });
        output.WriteLine($"release: {image} released; {record.HostName}'s record says so, and the next machine to boot it takes it at once");
        return 0;
    }
}
