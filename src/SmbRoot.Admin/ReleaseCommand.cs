using SmbRoot.Core.Admin;
using SmbRoot.Core.Fencing;

namespace SmbRoot.Admin;

/// <summary>
/// <c>release IMAGE</c>: marks a dead machine's holder record released, so the next boot takes the
/// image at once. It waits first by the booting machine's rule: the record unchanged, as this
/// machine watched it, for the holder's deadline plus the margin (by then the holder has fenced
/// itself, if it was alive and cut off). <c>--now</c> skips the wait, only with <c>--confirm</c>
/// naming the holder. Just before it writes, it reads the record again: a record that changed
/// (the holder renewed, or a booting machine claimed) is left alone.
/// </summary>
public static class ReleaseCommand
{
    public static int Run(ShareDirectory share, string image, bool now, string? confirm, TimeSpan margin, TextWriter output, TextWriter error)
    {
        string recordPath = image + HolderRecord.FileSuffix;
        if (!File.Exists(share.FullPath(recordPath)))
        {
            error.WriteLine($"release: {image} has no holder record ({recordPath}): no machine has held it read-write");
            return 1;
        }
        byte[] first = share.ReadRecord(recordPath);
        if (HolderRecord.Read(first) is not HolderRecord.Reading.Valid { Record: { Released: false } record })
        {
            output.WriteLine($"release: {image} is free already ({HolderLiveness.Describe(HolderRecord.Read(first), new TakeoverDecision.Take("its record says so")).Detail})");
            return 0;
        }
        if (now)
        {
            if (confirm != record.HostName)
            {
                error.WriteLine($"release: --now takes the image from {record.Describe()} without waiting; if that machine is alive, two machines write one filesystem. " +
                    $"Confirm with --confirm {record.HostName}");
                return 2;
            }
        }
        else
        {
            var nextReport = TimeSpan.Zero;
            output.WriteLine($"release: watching {recordPath} ({record.Describe()}); it is released when it has not changed for " +
                $"{(record.Deadline + margin).TotalSeconds:0} s, the holder's deadline plus {margin.TotalSeconds:0} s");
            var result = new RecordWatcher(share, HolderLiveness.Policy(margin)).Watch([recordPath], _ => null, (elapsed, open) =>
            {
                if (elapsed < nextReport) return;
                nextReport = elapsed + TimeSpan.FromSeconds(5);
                if (open.Values.Single().Decision is TakeoverDecision.Wait wait) output.WriteLine($"release: {wait.Why}; {wait.Left.TotalSeconds:0} s left");
            })[recordPath];
            if (result.Decision is TakeoverDecision.InUse)
            {
                error.WriteLine($"release: {record.HostName} renewed its record while watched: it is alive and holds {image}. " +
                    "Shut it down (init relinquish), or use --now --confirm HOST if you know better");
                return 1;
            }
        }
        if (!share.ReadRecord(recordPath).AsSpan().SequenceEqual(first))
        {
            error.WriteLine($"release: {recordPath} changed just now (its holder renewed, or a machine claimed the image); left as it is");
            return 1;
        }
        share.WriteRecord(recordPath, record with { Released = true });
        output.WriteLine($"release: {image} released; {record.HostName}'s record says so, and the next machine to boot it takes it at once");
        return 0;
    }
}
