namespace SmbRoot.Core.Fencing;

/// <summary>What a booting machine does with a read-write image, from its holder record, before it opens the image.</summary>
public abstract record TakeoverDecision(string Reason)
{
    public sealed record Take(string Why) : TakeoverDecision(Why);

    /// <summary>The holder may still be alive: wait at most <paramref name="Left"/> for its record to go stale.</summary>
    public sealed record Wait(TimeSpan Left, string Why) : TakeoverDecision(Why);

    /// <summary>The record changed while this machine watched it: its holder is alive.</summary>
    public sealed record InUse(HolderRecord.Reading Reading) : TakeoverDecision("renewed its holder record while this machine waited");
}

/// <summary>
/// The rule for taking an image (pure: every input is measured by the caller). The lock alone is
/// not proof that the holder is gone: it vanishes when the server gives up on an unanswered lease
/// break. So the holder's record must say it let go, or have been watched unchanged by this
/// machine, on its own monotonic clock, for longer than the holder's own deadline plus a margin: by
/// then the holder has fenced itself (its deadline runs from before the write this machine first
/// saw). The server's timestamps never count: Samba holds a file's write time still while a
/// handle keeps it open (source3/smbd/fileio.c, trigger_write_time_update), so a live record can
/// look minutes old.
/// </summary>
public static class Takeover
{
    /// <param name="reading">the holder file's block</param>
    /// <param name="me">this machine and this boot</param>
    /// <param name="unchangedFor">how long this machine has watched the record without it changing (<see cref="RecordWatch"/>)</param>
    public static TakeoverDecision Decide(HolderRecord.Reading reading, MachineIdentity me, TimeSpan unchangedFor, FencingPolicy policy)
    {
        switch (reading)
        {
            case HolderRecord.Reading.Empty:
                return new TakeoverDecision.Take("no machine has held it");
            case HolderRecord.Reading.Valid { Record.Released: true } v:
                return new TakeoverDecision.Take($"{v.Record.HostName} released it cleanly");
            case HolderRecord.Reading.Valid v when me.WroteEarlier(v.Record):
                return new TakeoverDecision.Take("this machine held it before this boot (its MAC and its system UUID)");
            case HolderRecord.Reading.Valid v when me.SharesMac(v.Record):
                // This machine's MAC without its system UUID (a firmware without one, a clone, or this very
                // boot's claim given up): a clone that is alive renews it, so watch for two of its renewals
                // (and a second for the write) before taking.
                var twoRenewals = 2 * FencingPolicy.RenewalInterval(v.Record.Deadline) + TimeSpan.FromSeconds(1);
                return unchangedFor >= twoRenewals
                    ? new TakeoverDecision.Take($"the record names this machine's MAC and has not changed for {unchangedFor.TotalSeconds:0} s: no clone with that MAC renews it")
                    : new TakeoverDecision.Wait(twoRenewals - unchangedFor,
                        $"the record names this machine's MAC; a clone with the same MAC would renew it within {twoRenewals.TotalSeconds:0} s");
        }
        // An unreadable record names no deadline: wait for the longest any holder may have.
        var holderDeadline = reading is HolderRecord.Reading.Valid valid ? valid.Record.Deadline : TimeSpan.FromSeconds(FencingPolicy.MaxSeconds);
        if (holderDeadline < policy.Deadline) holderDeadline = policy.Deadline;
        var needed = holderDeadline + policy.Margin;
        string holder = reading is HolderRecord.Reading.Valid h ? h.Record.HostName : "an unknown holder";
        if (unchangedFor >= needed)
        {
            return new TakeoverDecision.Take($"{holder} has not renewed for {unchangedFor.TotalSeconds:0} s, longer than its deadline of " +
                $"{holderDeadline.TotalSeconds:0} s plus {policy.Margin.TotalSeconds:0} s: it has fenced itself");
        }
        return new TakeoverDecision.Wait(needed - unchangedFor, reading is HolderRecord.Reading.Valid
            ? $"{holder} has not renewed for {unchangedFor.TotalSeconds:0} s as this machine watched; it fences itself after {holderDeadline.TotalSeconds:0} s without renewing"
            : $"an unreadable record names no deadline, so this machine waits the longest one a holder may have ({holderDeadline.TotalSeconds:0} s); " +
              "if no machine runs from this image, write zeros over the record");
    }
}

/// <summary>
/// A booting machine's watch of a holder record. The holder's proof of the block first seen is
/// older than that block's arrival here, so the watch starts when the first read has come back;
/// and a later read shows the record as it was no earlier than that read was sent, so each read
/// counts from its sending. What lies between (a read delayed in a cut, a slow server) is never
/// counted as watched. Each block read must be the first one, or the holder is alive.
/// </summary>
public sealed class RecordWatch(MachineIdentity me, FencingPolicy policy)
{
    private byte[]? _first;
    private TimeSpan _startedAt;

    /// <summary>The block the watch began with (null before the first read).</summary>
    public byte[]? First => _first;

    /// <param name="block">the record's block</param>
    /// <param name="sentAt">this machine's monotonic clock before the read was sent</param>
    /// <param name="answeredAt">the same clock once the block had come back</param>
    public TakeoverDecision Next(ReadOnlySpan<byte> block, TimeSpan sentAt, TimeSpan answeredAt)
    {
        if (_first is null)
        {
            _first = block.ToArray();
            _startedAt = answeredAt;
        }
        var reading = HolderRecord.Read(block);
        if (!block.SequenceEqual(_first)) return new TakeoverDecision.InUse(reading);
        var watched = sentAt - _startedAt;
        return Takeover.Decide(reading, me, watched > TimeSpan.Zero ? watched : TimeSpan.Zero, policy);
    }
}
