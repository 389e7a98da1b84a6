namespace SmbRoot.Core.Fencing;

/// <summary>What a booting machine does with a read-write image, from its holder record, before it opens the image.</summary>
public abstract record TakeoverDecision(string Reason)
{
    public sealed record Take(string Why) : TakeoverDecision(Why);

    /// <summary>The holder may still be alive: wait at most <paramref name="Left"/> for its record to go stale.</summary>
    public sealed record Wait(TimeSpan Left, string Why) : TakeoverDecision(Why);
}

/// <summary>
/// The rule for taking an image (pure: every input is measured by the caller). The lock alone is
/// not proof that the holder is gone: it vanishes when the server gives up on an unanswered lease
/// break. So the holder's record must say it let go, or be this machine's own from an earlier
/// boot, or have been stale for longer than the holder's own deadline plus a margin: by then the
/// holder has fenced itself, and only then is the image opened and locked.
/// </summary>
public static class Takeover
{
    /// <param name="reading">the holder file's block</param>
    /// <param name="machine">this machine's MAC, as the record writes it</param>
    /// <param name="ageByServer">how long ago the record was last written, by the server's clock (mtimes); zero if unknown</param>
    /// <param name="unchangedFor">how long this machine has watched the record without it changing</param>
    public static TakeoverDecision Decide(HolderRecord.Reading reading, string machine, TimeSpan ageByServer, TimeSpan unchangedFor, FencingPolicy policy)
    {
        switch (reading)
        {
            case HolderRecord.Reading.Empty:
                return new TakeoverDecision.Take("no machine has held it");
            case HolderRecord.Reading.Valid { Record.Released: true } v:
                return new TakeoverDecision.Take($"{v.Record.HostName} released it cleanly");
            case HolderRecord.Reading.Valid v when string.Equals(v.Record.Machine, machine, StringComparison.OrdinalIgnoreCase):
                return new TakeoverDecision.Take("this machine held it before this boot");
        }
        var holderDeadline = reading is HolderRecord.Reading.Valid valid ? valid.Record.Deadline : policy.Deadline;
        if (holderDeadline < policy.Deadline) holderDeadline = policy.Deadline;
        var stale = ageByServer > unchangedFor ? ageByServer : unchangedFor;
        var needed = holderDeadline + policy.Margin;
        string holder = reading is HolderRecord.Reading.Valid h ? h.Record.HostName : "an unknown holder";
        if (stale >= needed)
        {
            return new TakeoverDecision.Take($"{holder} has not renewed for {stale.TotalSeconds:0} s, longer than its deadline of " +
                $"{holderDeadline.TotalSeconds:0} s plus {policy.Margin.TotalSeconds:0} s: it has fenced itself");
        }
        return new TakeoverDecision.Wait(needed - stale,
            $"{holder} renewed {stale.TotalSeconds:0} s ago; it fences itself after {holderDeadline.TotalSeconds:0} s without renewing");
    }
}
