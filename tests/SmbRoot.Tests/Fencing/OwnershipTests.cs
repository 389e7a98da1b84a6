using SmbRoot.Core.Fencing;
using Xunit;

namespace SmbRoot.Tests.Fencing;

public class OwnershipTests
{
    private static TimeSpan S(double seconds) => TimeSpan.FromSeconds(seconds);

    private static readonly FencingPolicy Lan20 = new(S(20), S(10), true);

    [Fact]
    public void The_holder_fences_once_the_deadline_passes_without_proof()
    {
        var ownership = new Ownership(Lan20, S(100));
        Assert.Null(ownership.MustFence(S(119)));
        ownership.Proved(S(115));
        Assert.Null(ownership.MustFence(S(134)));
        Assert.Contains("could not be renewed for 20 s", ownership.MustFence(S(135)));
    }

    [Fact]
    public void A_proof_from_the_past_does_not_move_the_deadline_back()
    {
        var ownership = new Ownership(Lan20, S(0));
        ownership.Proved(S(10));
        ownership.Proved(S(5));
        Assert.Equal(S(30), ownership.FenceAt);
    }

    [Fact]
    public void A_lost_record_fences_at_once_and_stays_lost()
    {
        var ownership = new Ownership(Lan20, S(0));
        ownership.Lost("the holder record now names guest2");
        ownership.Proved(S(1));
        Assert.Equal("the holder record now names guest2", ownership.MustFence(S(1)));
    }

    [Fact]
    public void Renewals_come_five_times_per_deadline_and_the_watchdog_after_the_software_fence()
    {
        var policy = FencingPolicy.Default;
        Assert.Equal(S(12), policy.RenewEvery);
        Assert.Equal(S(62), policy.WatchdogTimeout);
        Assert.Equal(S(70), policy.WorstTakeover);
        Assert.Equal(S(4), Lan20.RenewEvery);
        Assert.Equal(S(1), (policy with { Deadline = S(5) }).RenewEvery);
    }
}
