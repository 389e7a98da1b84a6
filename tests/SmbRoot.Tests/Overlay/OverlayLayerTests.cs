using SmbRoot.Core.Overlay;
using SmbRoot.Core.Plan;
using Xunit;

namespace SmbRoot.Tests.Overlay;

public class OverlayLayerTests
{
    [Theory]
    [InlineData("tmpfs", "size=50%,mode=0755")]
    [InlineData("", "size=50%,mode=0755")]
    [InlineData("tmpfs:size=25%", "size=25%,mode=0755")]
    [InlineData("tmpfs:size=512M", "size=512m,mode=0755")]
    [InlineData("tmpfs:size=2g", "size=2g,mode=0755")]
    public void Tmpfs_sizes(string value, string tmpfsData) => Assert.Equal(tmpfsData, OverlayLayer.Parse(value).TmpfsData);

    [Theory]
    [InlineData("tmpfs:size=0%")]
    [InlineData("tmpfs:size=101%")]
    [InlineData("tmpfs:size=12")]
    [InlineData("tmpfs:size=-5M")]
    [InlineData("tmpfs:size=5T")]
    [InlineData("tmpfs:size=")]
    [InlineData("ramfs")]
    public void Bad_values_name_the_key(string value) =>
        Assert.StartsWith("rd.overlay=", Assert.Throws<PlanException>(() => OverlayLayer.Parse(value)).Message);

    [Fact]
    public void A_persistent_layer_on_the_share_is_refused_with_what_works_today() =>
        Assert.Contains("not supported yet; use rd.overlay=tmpfs",
            Assert.Throws<PlanException>(() => OverlayLayer.Parse("cifs://server/share/clients/{mac}.img")).Message);

    [Fact]
    public void The_overlay_uses_dracuts_mount_points() =>
        Assert.Equal("lowerdir=/run/rootfsbase,upperdir=/run/overlayfs/upper,workdir=/run/overlayfs/work", OverlayLayer.MountData);

    [Fact]
    public void Under_an_overlay_the_image_is_read_only_without_a_holder_record_and_the_root_is_writable()
    {
        var plan = BootPlan.Parse(KernelCommandLine.Parse("root=cifs://10.0.0.5/boot/golden.img ip=dhcp rd.overlay=tmpfs:size=64M"));
        Assert.True(plan.ImageReadOnly);
        Assert.False(plan.ReadOnly);
        string described = plan.Describe();
        Assert.Contains("overlay:     tmpfs of 64m on /run/overlayfs, lost at every boot; the image is the read-only layer under it", described);
        Assert.DoesNotContain("fencing:", described);
    }

    [Fact]
    public void An_overlay_needs_an_image() =>
        Assert.Contains("an overlay needs an image file as its lower layer",
            Assert.Throws<PlanException>(() => BootPlan.Parse(KernelCommandLine.Parse("root=cifs://10.0.0.5/boot/ ip=dhcp rd.overlay=tmpfs"))).Message);
}
