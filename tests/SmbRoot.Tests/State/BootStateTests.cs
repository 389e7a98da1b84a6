using System.Net;
using SmbRoot.Core.State;
using Xunit;

namespace SmbRoot.Tests.State;

public class BootStateTests
{
    private static readonly BootState Image = new("/run/initramfs/share", "//10.0.2.2/boot", "machines/a.img", "/dev/loop0", "xfs",
        new NetworkRecord("eth0", IPAddress.Parse("10.0.2.15"), 24, IPAddress.Parse("10.0.2.2")), "6b1f0c1e-2d3a-4b5c-8d9e-0f1a2b3c4d5e");

    [Fact]
    public void Round_trips_with_typed_fields()
    {
        Assert.Equal(Image, BootState.Parse(Image.Serialize()));
        var directory = Image with { ImagePath = null, LoopDevice = null, FileSystem = null, Network = Image.Network! with { Gateway = null } };
        Assert.Equal(directory, BootState.Parse(directory.Serialize()));
        var noNetwork = Image with { Network = null, HolderBootId = null };
        Assert.Equal(noNetwork, BootState.Parse(noNetwork.Serialize()));
    }

    [Fact]
    public void The_file_is_key_value_lines_without_secrets()
    {
        Assert.Equal("""
            share_mount=/run/initramfs/share
            unc=//10.0.2.2/boot
            image=machines/a.img
            loop=/dev/loop0
            fstype=xfs
            interface=eth0
            address=10.0.2.15/24
            gateway=10.0.2.2
            holder_boot=6b1f0c1e-2d3a-4b5c-8d9e-0f1a2b3c4d5e
            layer=
            layer_loop=

            """.ReplaceLineEndings("\n"), Image.Serialize());
    }

    [Fact]
    public void A_missing_key_is_named()
    {
        string text = string.Join('\n', Image.Serialize().Split('\n').Where(l => !l.StartsWith("unc=")));
        Assert.Contains("no unc= line", Assert.Throws<FormatException>(() => BootState.Parse(text)).Message);
    }

    [Theory]
    [InlineData("address=10.0.2.15", "address=10.0.2.15; expected ADDRESS/PREFIX")]
    [InlineData("address=10.0.2.15/99", "address=10.0.2.15/99; expected ADDRESS/PREFIX")]
    [InlineData("gateway=router", "gateway=router is not an address")]
    [InlineData("loop=/dev/sda", "loop=/dev/sda is not a loop device")]
    [InlineData("share_mount=share", "share_mount=share is not an absolute path")]
    [InlineData("holder_boot=../x", "holder_boot=../x is not a boot id")]
    public void A_bad_value_is_named(string replacement, string message)
    {
        string key = replacement.Split('=')[0];
        var lines = Image.Serialize().Split('\n').Select(l => l.StartsWith(key + "=") ? replacement.TrimEnd('\n') : l);
        string text = string.Join('\n', lines);
        Assert.Contains(message, Assert.Throws<FormatException>(() => BootState.Parse(text)).Message);
    }
}
