using SmbRoot.Core.Fencing;
using Xunit;

namespace SmbRoot.Tests.Fencing;

public class TakeoverTests
{
    private static readonly FencingPolicy Policy = new(TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(10), true);
    private static readonly MachineIdentity Me = new("52:54:00:77:00:0b", "4c4c4544-0042-3510-8052-b4c04f4e4d32", "b00710b0-0000-4000-8000-000000000001");
    private static readonly HolderRecord.Reading Held = new HolderRecord.Reading.Valid(HolderRecordTests.Sample);

    private static TimeSpan S(double seconds) => TimeSpan.FromSeconds(seconds);

    [Fact]
    public void A_file_nobody_has_written_is_taken_at_once() =>
        Assert.IsType<TakeoverDecision.Take>(Takeover.Decide(new HolderRecord.Reading.Empty(), Me, S(0), Policy));

    [Fact]
    public void A_released_record_is_taken_at_once()
    {
        var released = new HolderRecord.Reading.Valid(HolderRecordTests.Sample with { Released = true });
        Assert.Contains("released it cleanly", Assert.IsType<TakeoverDecision.Take>(Takeover.Decide(released, Me, S(0), Policy)).Why);
    }

    /// <summary>Cloned VMs share a MAC: the record of a clone that renews it is not this machine's old one.</summary>
    [Fact]
    public void A_record_with_this_machine_s_MAC_alone_is_taken_only_after_two_of_its_renewals_would_have_come()
    {
        var clone = Me with { Mac = "52:54:00:77:00:0A" };
        var wait = Assert.IsType<TakeoverDecision.Wait>(Takeover.Decide(Held, clone, S(0), Policy));
        Assert.Equal(S(2 * 4 + 1), wait.Left);
        Assert.Contains("a clone with the same MAC would renew it", wait.Why);
        Assert.IsType<TakeoverDecision.Wait>(Takeover.Decide(Held, clone, S(8.9), Policy));
        Assert.Contains("no clone with that MAC renews it", Assert.IsType<TakeoverDecision.Take>(Takeover.Decide(Held, clone, S(9), Policy)).Why);
        // A firmware without a system UUID is no proof either.
        var mine = new HolderRecord.Reading.Valid(HolderRecordTests.Sample with { MachineUuid = "-" });
        Assert.IsType<TakeoverDecision.Wait>(Takeover.Decide(mine, clone with { Uuid = null }, S(0), Policy));
    }

    /// <summary>The same MAC and the same system UUID, from another boot: this machine reset and came back.</summary>
    [Fact]
    public void This_machine_s_own_record_from_an_earlier_boot_is_taken_at_once()
    {
        var mine = new HolderRecord.Reading.Valid(HolderRecordTests.Sample with { Machine = "52:54:00:77:00:0B", MachineUuid = Me.Uuid! });
        Assert.Contains("this machine held it before this boot", Assert.IsType<TakeoverDecision.Take>(Takeover.Decide(mine, Me, S(0), Policy)).Why);
        // Its own record from this very boot (a claim it gave up) is not an earlier boot's.
        var thisBoot = new HolderRecord.Reading.Valid(HolderRecordTests.Sample with { Machine = Me.Mac, MachineUuid = Me.Uuid!, BootId = Me.BootId });
        Assert.IsType<TakeoverDecision.Wait>(Takeover.Decide(thisBoot, Me, S(0), Policy));
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("not a uuid", null)]
    [InlineData("00000000-0000-0000-0000-000000000000", null)]
    [InlineData("FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF\n", null)]
    [InlineData("03000200-0400-0500-0006-000700080009", null)]
    [InlineData("4C4C4544-0042-3510-8052-B4C04F4E4D32\n", "4c4c4544-0042-3510-8052-b4c04f4e4d32")]
    public void Only_a_real_system_UUID_names_a_machine(string? text, string? uuid) => Assert.Equal(uuid, MachineIdentity.UsableUuid(text));

    [Fact]
    public void A_record_of_another_machine_is_taken_after_its_deadline_plus_the_margin_watched_unchanged()
    {
        var wait = Assert.IsType<TakeoverDecision.Wait>(Takeover.Decide(Held, Me, S(3), Policy));
        Assert.Equal(S(20 + 10 - 3), wait.Left);
        Assert.Contains("guest1 has not renewed for 3 s as this machine watched", wait.Why);
        Assert.IsType<TakeoverDecision.Wait>(Takeover.Decide(Held, Me, S(29), Policy));
        Assert.Contains("it has fenced itself", Assert.IsType<TakeoverDecision.Take>(Takeover.Decide(Held, Me, S(30), Policy)).Why);
    }

    [Fact]
    public void The_holder_s_own_longer_deadline_is_honoured_never_a_shorter_one()
    {
        var slow = new HolderRecord.Reading.Valid(HolderRecordTests.Sample with { Deadline = S(120) });
        Assert.Equal(S(130), Assert.IsType<TakeoverDecision.Wait>(Takeover.Decide(slow, Me, S(0), Policy)).Left);
        var fast = new HolderRecord.Reading.Valid(HolderRecordTests.Sample with { Deadline = S(5) });
        Assert.Equal(S(30), Assert.IsType<TakeoverDecision.Wait>(Takeover.Decide(fast, Me, S(0), Policy)).Left);
    }

    /// <summary>A damaged record names no deadline; its holder may have the longest one there is.</summary>
    [Fact]
    public void An_unreadable_record_waits_for_the_longest_deadline_a_holder_may_have()
    {
        var unreadable = new HolderRecord.Reading.Unreadable("not text");
        var wait = Assert.IsType<TakeoverDecision.Wait>(Takeover.Decide(unreadable, Me, S(30), Policy));
        Assert.Equal(S(FencingPolicy.MaxSeconds + 10 - 30), wait.Left);
        Assert.Contains("write zeros over the record", wait.Why);
        Assert.IsType<TakeoverDecision.Take>(Takeover.Decide(unreadable, Me, S(FencingPolicy.MaxSeconds + 10), Policy));
    }

    [Fact]
    public void The_watch_counts_from_its_first_answer_and_a_changed_block_means_the_holder_is_alive()
    {
        var watch = new RecordWatch(Me, Policy);
        byte[] block = HolderRecordTests.Sample.ToBytes();
        Assert.IsType<TakeoverDecision.Wait>(watch.Next(block, S(100), S(100.5)));
        Assert.IsType<TakeoverDecision.Wait>(watch.Next(block, S(130.4), S(131)));
        Assert.IsType<TakeoverDecision.Take>(watch.Next(block, S(130.5), S(131)));
        byte[] renewed = (HolderRecordTests.Sample with { Renewal = 42 }).ToBytes();
        var inUse = Assert.IsType<TakeoverDecision.InUse>(watch.Next(renewed, S(131), S(131.1)));
        Assert.Equal(42, Assert.IsType<HolderRecord.Reading.Valid>(inUse.Reading).Record.Renewal);
    }

    /// <summary>
    /// Seed 15 of the simulation: the first read was sent just before the waiter's cable was cut and
    /// came back 29 s later. Counted from its sending, the watch had "seen" 29 s of a record it had
    /// seen for one second, and took the image from a holder that was renewing.
    /// </summary>
    [Fact]
    public void A_first_answer_delayed_by_a_cut_counts_as_no_watching()
    {
        var watch = new RecordWatch(Me, Policy);
        byte[] block = HolderRecordTests.Sample.ToBytes();
        Assert.IsType<TakeoverDecision.Wait>(watch.Next(block, S(106), S(135)));
        var wait = Assert.IsType<TakeoverDecision.Wait>(watch.Next(block, S(136), S(136.01)));
        Assert.Equal(S(29), wait.Left);
    }
}
