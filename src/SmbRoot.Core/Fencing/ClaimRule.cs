namespace SmbRoot.Core.Fencing;

/// <summary>
/// Two machines that both watched the same record until it allowed the take may claim it at the
/// same moment. The image's lock keeps them apart while the server keeps it, but it loses it with a
/// restart or a session it drops, and then both would read the old record, both write their own,
/// and each believe the image its own until its next renewal. So a claim is quick or given up, and
/// confirmed once any other claim that began with the same record must have landed:
/// <list type="number">
/// <item>From sending the read that compares the record to writing this machine's record and having
///   the answer takes at most <see cref="Limit"/>; a slower claim is given up (the boot tries again).</item>
/// <item>Then, <see cref="ConfirmAfter"/> later and before the first write to the image, a read must
///   still show this machine's record (the wait overlaps the loop device's attach and the loading of
///   the filesystem's module).</item>
/// </list>
/// Why that is enough: if A's and B's claims both pass, say B's write landed after A's. B read the
/// old record before A's write landed, so B's claim began before A's ended, and B's write landed
/// within <see cref="Limit"/> of that: before A's confirming read, which would have seen it.
/// </summary>
public static class ClaimRule
{
    /// <summary>
    /// A claim is a read and a write with fsync, a few round trips: tens of milliseconds on a LAN
    /// (0.03–0.05 s in the lab's emulated guests). The confirmation waits a quarter more than this.
    /// </summary>
    public static readonly TimeSpan Limit = TimeSpan.FromMilliseconds(300);

    /// <summary>The limit with a quarter more, for two machines' clocks that run at rates up to a tenth apart.</summary>
    public static readonly TimeSpan ConfirmAfter = Limit + Limit / 4;

    /// <summary>
    /// The renewal count a claim starts from: one past the watched record's, so that every claim
    /// changes the block, even a second claim by the same boot after it gave one up (simulation
    /// seed 14587: the same bytes written again were no sign of life to a machine that watched them).
    /// </summary>
    public static long FirstRenewal(HolderRecord.Reading watched) =>
        watched is HolderRecord.Reading.Valid { Record.Renewal: var renewal } && renewal < long.MaxValue ? renewal + 1 : 0;

    /// <summary>Why the claim must be given up, or null when it was quick enough.</summary>
    public static string? TookTooLong(TimeSpan readSentAt, TimeSpan writeAnsweredAt) =>
        writeAnsweredAt - readSentAt <= Limit ? null
            : $"claiming the holder record took {(writeAnsweredAt - readSentAt).TotalSeconds:0.00} s, more than {Limit.TotalSeconds:0.0#} s: " +
              "another machine's claim might land after this one's check, so this attempt gives it up";

    /// <summary>Whether the block read <see cref="ConfirmAfter"/> after the claim is still, byte for byte, the record this machine wrote.</summary>
    public static bool StillMine(ReadOnlySpan<byte> block, HolderRecord mine) => block.SequenceEqual(mine.ToBytes());
}
