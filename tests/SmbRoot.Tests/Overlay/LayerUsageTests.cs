using SmbRoot.Core.Overlay;
using Xunit;

namespace SmbRoot.Tests.Overlay;

public class LayerUsageTests
{
    private const long Mib = 1024 * 1024;

    [Fact]
    public void Each_level_is_said_once_as_the_layer_fills_and_once_when_it_has_room_again()
    {
        var usage = new LayerUsage();
        Assert.Null(usage.Next(10 * Mib, 100 * Mib));
        Assert.Equal("overlay: the writable layer is 50% full (52.0 of 100.0 MiB used (52%))", usage.Next(52 * Mib, 100 * Mib)?.Text);
        Assert.Null(usage.Next(60 * Mib, 100 * Mib));
        var jump = usage.Next(95 * Mib, 100 * Mib);
        Assert.Equal(("overlay: the writable layer is 90% full (95.0 of 100.0 MiB used (95%))", LayerUsage.Kind.Filling), (jump?.Text, jump?.Kind));
        var full = usage.Next(100 * Mib, 100 * Mib);
        Assert.Equal(LayerUsage.Kind.Full, full?.Kind);
        Assert.StartsWith("overlay: the writable layer is full (100.0 of 100.0 MiB used (100%)): writes to the root fail", full?.Text);
        Assert.Null(usage.Next(100 * Mib, 100 * Mib));
        Assert.Null(usage.Next(70 * Mib, 100 * Mib));
        Assert.Equal(new LayerUsage.Report("overlay: the writable layer has room again (20.0 of 100.0 MiB used (20%))", LayerUsage.Kind.RoomAgain), usage.Next(20 * Mib, 100 * Mib));
        Assert.Equal("overlay: the writable layer is 50% full (50.0 of 100.0 MiB used (50%))", usage.Next(50 * Mib, 100 * Mib)?.Text);
    }

    [Fact]
    public void A_layer_of_no_size_counts_as_full() => Assert.Equal(LayerUsage.Kind.Full, new LayerUsage().Next(0, 0)?.Kind);

    /// <summary>Found by fuzzing: used × 100 wrapped a long, and a nearly empty layer read as full or as negative.</summary>
    [Fact]
    public void Huge_figures_from_statfs_do_not_wrap()
    {
        Assert.Equal("overlay: the writable layer is 50% full (4398046511104.0 of 8796093022208.0 MiB used (50%))",
            new LayerUsage().Next(long.MaxValue / 2, long.MaxValue)?.Text);
        Assert.Null(new LayerUsage().Next(-5, 100));
    }
}
