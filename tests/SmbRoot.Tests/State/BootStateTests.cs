using System.Net;
using SmbRoot.Core.State;
using Xunit;

namespace SmbRoot.Tests.State;

public class BootStateTests
{
    private static readonly NetworkRecord Eth0 = new("eth0", new InterfaceAddress(IPAddress.Parse("10.0.2.15"), 24, IPAddress.Parse("10.0.2.2")), null);

    /// <summary>A read-write image under a persistent layer, as the boot builds it.</summary>
    internal static readonly BootState Layered = new(
    [
        new Built.Network(Eth0),
        new Built.Share("/run/initramfs/share", "//10.0.2.2/boot", "/run/initramfs/records"),
        new Built.Loop("/dev/loop0", "golden/current.img", "ext4", "image"),
        new Built.Claim("6b1f0c1e-2d3a-4b5c-8d9e-0f1a2b3c4d5e", "layers/52-54-00-12-34-56 my.img"),
        new Built.Loop("/dev/loop1", "layers/52-54-00-12-34-56 my.img", "ext4", "layer"),
        new Built.Mount("/run/rootfsbase"),
        new Built.Mount("/run/overlayfs"),
        new Built.Mount("/sysroot"),
    ]);

    [Fact]
    public void Round_trips_in_the_order_built()
    {
        Assert.Equal(Layered.Things, BootState.Parse(Layered.Serialize()).Things);
        var directory = new BootState([new Built.Network(Eth0 with { V4 = Eth0.V4! with { Gateway = null } }), new Built.Share("/run/initramfs/share", "//s/boot", null), new Built.Mount("/sysroot")]);
        Assert.Equal(directory.Things, BootState.Parse(directory.Serialize()).Things);
        var dualStack = new NetworkRecord("eth0", Eth0.V4, new InterfaceAddress(IPAddress.Parse("2001:db8:77::4d"), 64, IPAddress.Parse("fe80::1")));
        var ipv6Only = dualStack with { V4 = null };
        foreach (var network in new[] { dualStack, ipv6Only })
        {
            var state = new BootState([new Built.Network(network)]);
            Assert.Equal(state.Things, BootState.Parse(state.Serialize()).Things);
        }
        Assert.Equal("network\tinterface=eth0\taddress6=2001:db8:77::4d/64\tgateway6=fe80::1\n", new BootState([new Built.Network(ipv6Only)]).Serialize());
        Assert.Equal(IPAddress.Parse("2001:db8:77::4d"), ipv6Only.Address);
    }

    [Fact]
    public void The_file_is_a_line_per_thing_without_secrets()
    {
        Assert.Equal(
            "network\tinterface=eth0\taddress=10.0.2.15/24\tgateway=10.0.2.2\n" +
            "share\tmount=/run/initramfs/share\tunc=//10.0.2.2/boot\trecords=/run/initramfs/records\n" +
            "loop\tdevice=/dev/loop0\tpath=golden/current.img\tfstype=ext4\trole=image\n" +
            "claim\tboot=6b1f0c1e-2d3a-4b5c-8d9e-0f1a2b3c4d5e\tpath=layers/52-54-00-12-34-56 my.img\n" +
            "loop\tdevice=/dev/loop1\tpath=layers/52-54-00-12-34-56 my.img\tfstype=ext4\trole=layer\n" +
            "mount\tat=/run/rootfsbase\nmount\tat=/run/overlayfs\nmount\tat=/sysroot\n", Layered.Serialize());
        Assert.Equal("6b1f0c1e-2d3a-4b5c-8d9e-0f1a2b3c4d5e", Layered.Claim?.BootId);
        Assert.Equal(["/dev/loop0", "/dev/loop1"], Layered.Loops.Select(l => l.Device));
    }

    [Fact]
    public void A_value_with_a_tab_or_a_newline_is_refused_when_written() =>
        Assert.Throws<ArgumentException>(() => new BootState([new Built.Mount("/sys\nroot")]).Serialize());

    [Theory]
    [InlineData("network\tinterface=eth0\taddress=10.0.2.15", "address=10.0.2.15; expected ADDRESS/PREFIX")]
    [InlineData("network\tinterface=eth0\taddress=10.0.2.15/99", "address=10.0.2.15/99; expected ADDRESS/PREFIX")]
    [InlineData("network\tinterface=eth0\taddress=10.0.2.15/24\tgateway=router", "gateway=router is not an address")]
    [InlineData("network\tinterface=eth0\taddress6=10.0.2.15/24", "address6=10.0.2.15/24; expected ADDRESS/PREFIX of IPv6")]
    [InlineData("network\tinterface=eth0\taddress6=2001:db8::1/129", "address6=2001:db8::1/129; expected")]
    [InlineData("network\tinterface=eth0\taddress6=2001:db8::1/64\tgateway6=10.0.2.2", "gateway6=10.0.2.2 is not an address of its family")]
    [InlineData("network\tinterface=eth0", "a network line has no address= or address6=")]
    [InlineData("network\taddress=10.0.2.15/24", "a network line has no interface=")]
    [InlineData("loop\tdevice=/dev/sda\tpath=a.img\trole=image", "device=/dev/sda is not a loop device")]
    [InlineData("share\tmount=share\tunc=//s/b", "mount=share is not an absolute path")]
    [InlineData("claim\tboot=../x\tpath=a.img", "boot=../x is not a boot id")]
    [InlineData("mount\t/sysroot", "'/sysroot' in a mount line is not key=value")]
    [InlineData("tape\tat=/dev/st0", "'tape' is not a kind of thing the boot builds")]
    public void A_bad_line_is_named(string line, string message) =>
        Assert.Contains(message, Assert.Throws<FormatException>(() => BootState.Parse(Layered.Serialize() + line + "\n")).Message);
}
