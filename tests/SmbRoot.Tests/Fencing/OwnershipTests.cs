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
        ownership.Proved(S(115), S(116));
        Assert.Null(ownership.MustFence(S(134)));
        Assert.Contains("could not be renewed for 20 s", ownership.MustFence(S(135)));
    }

    [Fact]
    public void A_proof_from_the_past_does_not_move_the_deadline_back()
    {
        var ownership = new Ownership(Lan20, S(0));
        ownership.Proved(S(10), S(11));
        ownership.Proved(S(5), S(12));
        Assert.Equal(S(30), ownership.FenceAt);
    }

    [Fact]
    public void A_lost_record_fences_at_once_and_stays_lost()
    {
        var ownership = new Ownership(Lan20, S(0));
        ownership.Lost("the holder record now names guest2");
        ownership.Proved(S(1), S(1));
        Assert.Equal("the holder record now names guest2", ownership.MustFence(S(1)));
    }

    /// <summary>The write reached the server when it was sent, perhaps long before it returned: the proof is as old as the renewal's start.</summary>
    [Fact]
    public void A_proof_is_dated_from_the_start_of_its_renewal_not_its_return()
    {
        var ownership = new Ownership(Lan20, S(0));
        ownership.Proved(S(4), S(15));
        Assert.Equal(S(24), ownership.FenceAt);
        Assert.NotNull(ownership.MustFence(S(24)));
    }

    /// <summary>A fence is final: between two checks of the fence thread, a renewal that returns late must not revive the claim.</summary>
    [Fact]
    public void A_renewal_that_returns_after_the_deadline_proves_nothing()
    {
        var ownership = new Ownership(Lan20, S(0));
        ownership.Proved(S(19), S(20.2));
        Assert.Contains("past the deadline of 20 s", ownership.MustFence(S(20.3)));
        ownership.Proved(S(21), S(21.1));
        Assert.NotNull(ownership.MustFence(S(21.2)));
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
