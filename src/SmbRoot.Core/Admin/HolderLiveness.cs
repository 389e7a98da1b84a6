using SmbRoot.Core.Fencing;

namespace SmbRoot.Core.Admin;

/// <summary>What the administrator is told about a holder record after watching it.</summary>
/// <param name="Live">renewed while watched: a machine runs from the image</param>
/// <param name="Free">a booting machine would take the image now</param>
public sealed record HolderStatus(string Holder, bool Live, bool Free, string Detail);

/// <summary>
/// A holder record judged as a booting machine judges it (<see cref="RecordWatch"/>, <see cref="Takeover"/>),
/// by an administrator's machine that is none of the holders: it changed while watched, or it
/// was watched unchanged on this machine's monotonic clock. The server's write time never counts.
/// </summary>
public static class HolderLiveness
{
    /// <summary>The administrator's machine: its MAC matches no record, so no record is taken for its own earlier boot.</summary>
    public static readonly MachineIdentity Administrator = new("administrator", null, "administrator");

    /// <summary>
    /// The rule as the administrator applies it: the holder's own deadline (the shortest a boot
    /// could have is the floor, so the record's governs) plus <paramref name="margin"/>. By then a
    /// holder that is alive but cut off has fenced itself.
    /// </summary>
    public static FencingPolicy Policy(TimeSpan margin) => new(TimeSpan.FromSeconds(FencingPolicy.MinDeadlineSeconds), margin, Watchdog: false);

    /// <summary>How long to watch a record before saying it is not live: two of its renewals and a second, as for a clone with the same MAC.</summary>
    public static TimeSpan WatchFor(HolderRecord.Reading reading) =>
        reading is HolderRecord.Reading.Valid { Record: { Released: false } record }
            ? 2 * FencingPolicy.RenewalInterval(record.Deadline) + TimeSpan.FromSeconds(1)
            : TimeSpan.Zero;

    public static HolderStatus Describe(HolderRecord.Reading first, TakeoverDecision decision)
    {
        string holder = first switch
        {
            HolderRecord.Reading.Valid v => v.Record.Describe(),
            HolderRecord.Reading.Unreadable u => $"an unreadable record ({u.Problem})",
            _ => "nobody",
        };
        return decision switch
        {
            TakeoverDecision.InUse => new HolderStatus(holder, true, false, "live: renewed while watched"),
            TakeoverDecision.Take take => new HolderStatus(holder, false, true, first is HolderRecord.Reading.Valid { Record.Released: false }
                ? $"not live: {take.Why}; a booting machine takes it" : $"free: {take.Why}"),
            TakeoverDecision.Wait wait => new HolderStatus(holder, false, false,
                $"silent: {wait.Why}; a booting machine takes it after {wait.Left.TotalSeconds:0} s more unless it renews"),
            _ => throw new ArgumentException($"no description of {decision.GetType().Name}"),
        };
    }
}
