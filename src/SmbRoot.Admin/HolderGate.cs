using SmbRoot.Core.Admin;
using SmbRoot.Core.Fencing;

namespace SmbRoot.Admin;

/// <summary>
/// What release, layer reset and layer remove ask first: is the file's holder gone? Its record
/// must say it let go, or have stayed unchanged, as this machine watched it, for the holder's
/// deadline plus the margin (by then a holder that is alive but cut off has fenced itself), as a
/// booting machine would require. <c>--now</c> skips the wait only with <c>--confirm</c> naming
/// the holder. Just before the caller acts, <see cref="Unchanged"/> reads the record once more.
/// </summary>
public sealed class HolderGate(ShareDirectory share, string file, string verb, TextWriter output, TextWriter error)
{
    private byte[]? _seen;

    public string RecordPath { get; } = file + HolderRecord.FileSuffix;

    /// <summary>The record as the gate let it through (null when the file has none).</summary>
    public HolderRecord.Reading? Reading => _seen is null ? null : HolderRecord.Read(_seen);

    /// <summary>True when the holder is gone (or there is none); false with the reason said on the error writer.</summary>
    public bool Passes(bool now, string? confirm, TimeSpan margin)
    {
        if (!File.Exists(share.FullPath(RecordPath))) return true;
        _seen = share.ReadRecord(RecordPath);
        if (HolderRecord.Read(_seen) is not HolderRecord.Reading.Valid { Record: { Released: false } record }) return true;
        if (now)
        {
            if (confirm == record.HostName) return true;
            error.WriteLine($"{verb}: --now takes {file} from {record.Describe()} without waiting; if that machine is alive, two machines write one filesystem. " +
                $"Confirm with --confirm {record.HostName}");
            return false;
        }
        var nextReport = TimeSpan.Zero;
        output.WriteLine($"{verb}: watching {RecordPath} ({record.Describe()}); its holder is gone when it has not changed for " +
            $"{(record.Deadline + margin).TotalSeconds:0} s, the holder's deadline plus {margin.TotalSeconds:0} s");
        var result = new RecordWatcher(share, HolderLiveness.Policy(margin)).Watch([RecordPath], _ => null, (elapsed, open) =>
        {
            if (elapsed < nextReport) return;
            nextReport = elapsed + TimeSpan.FromSeconds(5);
            if (open.Values.Single().Decision is TakeoverDecision.Wait wait) output.WriteLine($"{verb}: {wait.Why}; {wait.Left.TotalSeconds:0} s left");
        })[RecordPath];
        if (result.Decision is TakeoverDecision.InUse)
        {
            error.WriteLine($"{verb}: {record.HostName} renewed its record while watched: it is alive and holds {file}. " +
                "Shut it down (init relinquish), or use --now --confirm HOST if you know better");
            return false;
        }
        return true;
    }

    /// <summary>The record is as the gate saw it (or still absent); false, with the reason said, when it changed.</summary>
    public bool Unchanged()
    {
        bool exists = File.Exists(share.FullPath(RecordPath));
        if (_seen is null ? !exists : exists && share.ReadRecord(RecordPath).AsSpan().SequenceEqual(_seen)) return true;
        error.WriteLine($"{verb}: {RecordPath} changed just now (its holder renewed, or a machine claimed {file}); left as it is");
        return false;
    }
}
