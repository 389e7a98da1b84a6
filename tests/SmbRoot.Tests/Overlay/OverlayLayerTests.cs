using SmbRoot.Core.Overlay;
using SmbRoot.Core.Plan;
using System.Net;
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
    public void A_persistent_layer_is_a_path_on_a_share_with_placeholders()
    {
        var layer = OverlayLayer.Parse("cifs://server/share/clients/{mac}-{hostname}-{ip}.img").File!;
        Assert.Equal(("server", "share", "clients/{mac}-{hostname}-{ip}.img"), (layer.Server, layer.Share, layer.PathTemplate));
        Assert.Equal("clients/52-54-00-0a-ff-01-pc7-10.0.0.7.img", layer.PathFor([0x52, 0x54, 0x00, 0x0a, 0xff, 0x01], "pc7", IPAddress.Parse("10.0.0.7")));
        Assert.Equal("a/b.img", OverlayLayer.Parse("//server/share/a/b.img").File!.PathTemplate);
    }

    [Theory]
    [InlineData(null, "no host name")]
    [InlineData("a/b", "cannot be a file name")]
    public void A_host_name_placeholder_needs_a_usable_host_name(string? hostName, string message) =>
        Assert.Contains(message, Assert.Throws<PlanException>(() =>
            OverlayLayer.Parse("cifs://s/share/{hostname}.img").File!.PathFor([1, 2, 3, 4, 5, 6], hostName, IPAddress.Loopback)).Message);

    [Theory]
    [InlineData("cifs://server/share")]
    [InlineData("cifs://server/share/")]
    [InlineData("cifs://user@server/share/x.img")]
    [InlineData("cifs://server/share/../x.img")]
    [InlineData("cifs://server/share/{serial}.img")]
    [InlineData("cifs://server/share/a:b.img")]
    public void Bad_layer_paths_are_refused(string value) =>
        Assert.StartsWith("rd.overlay=", Assert.Throws<PlanException>(() => OverlayLayer.Parse(value)).Message);

    [Theory]
    [InlineData("64M", 64L << 20)]
    [InlineData("8G", 8L << 30)]
    [InlineData("2t", 2L << 40)]
    [InlineData("16T", 16L << 40)]
    public void Create_sizes(string text, long bytes) => Assert.Equal(bytes, LayerFile.ParseCreateSize(text));

    [Theory]
    [InlineData("63M")]
    [InlineData("17T")]
    [InlineData("8")]
    [InlineData("8K")]
    [InlineData("-1G")]
    [InlineData("16777217T")] // found by fuzzing: shifted by 40 it wrapped to 1 TiB
    [InlineData("9223372036854775807M")]
    public void Create_sizes_out_of_range_are_refused(string text) =>
        Assert.StartsWith("rd.overlay.create=", Assert.Throws<PlanException>(() => LayerFile.ParseCreateSize(text)).Message);


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
