using SmbRoot.Core.Fencing;
using Xunit;

namespace SmbRoot.Tests.Fencing;

public class TakeoverTests
{
    private static readonly FencingPolicy Policy = new(TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(10), true);
    private const string Me = "52:54:00:77:00:0b";
    private static readonly HolderRecord.Reading Held = new HolderRecord.Reading.Valid(HolderRecordTests.Sample);

    private static TimeSpan S(double seconds) => TimeSpan.FromSeconds(seconds);

    [Fact]
    public void A_file_nobody_has_written_is_taken_at_once() =>
        Assert.IsType<TakeoverDecision.Take>(Takeover.Decide(new HolderRecord.Reading.Empty(), Me, S(0), S(0), Policy));

    [Fact]
    public void A_released_record_is_taken_at_once()
    {
        var released = new HolderRecord.Reading.Valid(HolderRecordTests.Sample with { Released = true });
        Assert.Contains("released it cleanly", Assert.IsType<TakeoverDecision.Take>(Takeover.Decide(released, Me, S(0), S(0), Policy)).Why);
    }

    [Fact]
    public void This_machine_s_own_record_from_an_earlier_boot_is_taken_at_once() =>
        Assert.IsType<TakeoverDecision.Take>(Takeover.Decide(Held, "52:54:00:77:00:0A", S(0), S(0), Policy));

    [Fact]
    public void A_fresh_record_of_another_machine_means_waiting_for_its_deadline_plus_the_margin()
    {
        var wait = Assert.IsType<TakeoverDecision.Wait>(Takeover.Decide(Held, Me, S(3), S(0), Policy));
        Assert.Equal(S(20 + 10 - 3), wait.Left);
        Assert.Contains("guest1 renewed 3 s ago", wait.Why);
    }

    [Fact]
    public void A_record_stale_by_the_server_s_clock_is_taken_without_waiting() =>
        Assert.Contains("it has fenced itself", Takeover.Decide(Held, Me, S(31), S(0), Policy).Reason);

    [Fact]
    public void Watching_the_record_unchanged_counts_as_much_as_the_server_s_clock()
    {
        Assert.IsType<TakeoverDecision.Wait>(Takeover.Decide(Held, Me, S(0), S(29), Policy));
        Assert.IsType<TakeoverDecision.Take>(Takeover.Decide(Held, Me, S(0), S(30), Policy));
    }

    [Fact]
    public void The_holder_s_own_longer_deadline_is_honoured_never_a_shorter_one()
    {
        var slow = new HolderRecord.Reading.Valid(HolderRecordTests.Sample with { Deadline = S(120) });
        Assert.Equal(S(130), Assert.IsType<TakeoverDecision.Wait>(Takeover.Decide(slow, Me, S(0), S(0), Policy)).Left);
        var fast = new HolderRecord.Reading.Valid(HolderRecordTests.Sample with { Deadline = S(5) });
        Assert.Equal(S(30), Assert.IsType<TakeoverDecision.Wait>(Takeover.Decide(fast, Me, S(0), S(0), Policy)).Left);
    }

    [Fact]
    public void An_unreadable_record_is_a_holder_nobody_can_name_and_goes_stale_like_any_other()
    {
        var unreadable = new HolderRecord.Reading.Unreadable("not text");
        Assert.Contains("an unknown holder", Assert.IsType<TakeoverDecision.Wait>(Takeover.Decide(unreadable, Me, S(0), S(10), Policy)).Why);
        Assert.IsType<TakeoverDecision.Take>(Takeover.Decide(unreadable, Me, S(0), S(30), Policy));
    }
}
