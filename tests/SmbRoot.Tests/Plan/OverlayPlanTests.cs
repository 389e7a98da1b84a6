using SmbRoot.Core.Plan;
using Xunit;

namespace SmbRoot.Tests.Plan;

public class OverlayPlanTests
{
    private const string Golden = "root=cifs://10.0.0.5/boot/golden/current ip=dhcp";

    private static BootPlan Parse(string text) => BootPlan.Parse(KernelCommandLine.Parse(text));

    [Fact]
    public void A_persistent_layer_takes_its_create_size_and_reset_and_keeps_the_golden_image_read_only()
    {
        var plan = Parse(Golden + " rd.overlay=cifs://10.0.0.5/BOOT/clients/{mac}.img rd.overlay.create=8G rd.overlay.reset");
        var layer = plan.Overlay!.File!;
        Assert.Equal((8L << 30, true), (layer.CreateBytes, layer.Reset));
        Assert.True(plan.ImageReadOnly);
        Assert.Contains("persistent layer //10.0.0.5/BOOT/clients/{mac}.img", plan.Describe());
        Assert.Null(Parse(Golden + " rd.overlay=cifs://10.0.0.5/boot/c/{mac}.img").Overlay!.File!.CreateBytes);
    }

    [Theory]
    [InlineData(" rd.overlay=cifs://10.0.0.6/boot/c/{mac}.img", "the layer must be on the root's share, //10.0.0.5/boot")]
    [InlineData(" rd.overlay=cifs://10.0.0.5/other/c/{mac}.img", "the layer must be on the root's share")]
    [InlineData(" rd.overlay=tmpfs rd.overlay.create=8G", "rd.overlay.create= and rd.overlay.reset are for a persistent layer")]
    [InlineData(" rd.overlay.reset", "rd.overlay.create= and rd.overlay.reset are for a persistent layer")]
    [InlineData(" rd.overlay=cifs://10.0.0.5/boot/c/{mac}.img rd.overlay.create=1M", "rd.overlay.create=1M")]
    [InlineData(" rd.overlay=cifs://10.0.0.5/boot/c/{mac}.img rd.overlay.reset=maybe", "rd.overlay.reset=maybe")]
    public void Mistakes_are_named(string extra, string message) =>
        Assert.Contains(message, Assert.Throws<PlanException>(() => Parse(Golden + extra)).Message);
}
