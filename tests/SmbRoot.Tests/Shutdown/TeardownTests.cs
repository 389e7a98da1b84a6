using SmbRoot.Core.Shutdown;
using SmbRoot.Tests.State;
using Xunit;
using Step = SmbRoot.Core.Shutdown.Teardown.Step;

namespace SmbRoot.Tests.Shutdown;

/// <summary>The final stage's order: what the boot built, given back in reverse, the claim only once nothing can write.</summary>
public class TeardownTests
{
    private static string Describe(Step step) => step switch
    {
        Step.Detach d => "detach " + d.Loop.Device,
        Step.Release r => "release " + r.Claim.PathInShare,
        Step.UnmountShare s => "unmount " + s.Share.Unc,
        Step.TakeDown n => "down " + n.Network.Record.Interface,
        _ => step.GetType().Name,
    };

    [Fact]
    public void A_layered_root_is_given_back_in_reverse_with_the_claim_after_every_loop_device_and_the_network_last()
    {
        Assert.Equal(
        [
            "UnmountOldRoot", "DetachSystemLoops", "detach /dev/loop1", "detach /dev/loop0", "Sweep",
            "release layers/52-54-00-12-34-56 my.img", "unmount //10.0.2.2/boot", "UnmountOtherShares", "down eth0",
        ], Teardown.Order(BootStateTests.Layered.Things).Select(Describe));
    }

    [Fact]
    public void Without_a_state_file_what_the_kernel_shows_is_still_released() =>
        Assert.Equal(["UnmountOldRoot", "DetachSystemLoops", "Sweep", "UnmountOtherShares"], Teardown.Order([]).Select(Describe));

    /// <summary>Whatever order the file lists them in, a claim never comes before a loop device nor after the share it is on.</summary>
    [Fact]
    public void The_kinds_keep_their_places_in_any_order_of_the_file()
    {
        var shuffled = BootStateTests.Layered.Things.Reverse().ToList();
        var order = Teardown.Order(shuffled).Select(Describe).ToList();
        Assert.True(order.IndexOf("Sweep") < order.IndexOf("release layers/52-54-00-12-34-56 my.img"));
        Assert.True(order.IndexOf("release layers/52-54-00-12-34-56 my.img") < order.IndexOf("unmount //10.0.2.2/boot"));
        Assert.Equal("down eth0", order[^1]);
    }
}
