using System.Net;
using SmbRoot.Core.Dns;
using SmbRoot.Core.Kernel;
using Xunit;

namespace SmbRoot.Tests.Kernel;

public class Ipv6TableTests
{
    /// <summary>/proc/net/if_inet6 in a guest just after SLAAC: link-local done, the global address still tentative, one duplicate.</summary>
    private const string Addresses =
        "20010db800770000505400fffe77000a 02 40 00 40     eth0\n" +
        "fe800000000000005054fffe77000a02 02 40 20 80     eth0\n" +
        "00000000000000000000000000000001 01 80 10 80       lo\n" +
        "20010db800770000000000000000004d 02 80 00 08     eth0\n" +
        "fd77000000000000000000000000000d 02 40 00 44     eth0\n" +
        "garbage line\n" +
        "zz010db8007700005054fffe77000a02 02 40 00 40     eth0\n";

    [Fact]
    public void Addresses_with_the_kernels_flags()
    {
        var all = Ipv6Table.ParseAddresses(Addresses);
        Assert.Equal(5, all.Count);
        var global = all[0];
        Assert.Equal(IPAddress.Parse("2001:db8:77:0:5054:ff:fe77:a"), global.Address);
        Assert.Equal((2, 64, "eth0"), (global.InterfaceIndex, global.PrefixLength, global.Interface));
        Assert.True(global.IsGlobal);
        Assert.True(global.Tentative);
        Assert.False(global.Ready);
        Assert.True(all[1].IsLinkLocal && all[1].Ready);
        Assert.True(all[3].DadFailed && !all[3].Ready);
        Assert.True(all[4].Ready); // tentative but optimistic (RFC 4429): usable
    }

    [Fact]
    public void The_default_route_and_on_link_prefixes()
    {
        const string routes =
            "20010db8007700000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00040001     eth0\n" +
            "00000000000000000000000000000000 00 00000000000000000000000000000000 00 fe800000000000000000000000000001 00000400 00000001 00000000 00450003     eth0\n" +
            "00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo\n" +
            "short line\n";
        var all = Ipv6Table.ParseRoutes(routes);
        Assert.Equal(3, all.Count);
        Assert.False(all[0].IsDefault);
        Assert.Equal(64, all[0].PrefixLength);
        Assert.True(all[1].IsDefault);
        Assert.Equal(IPAddress.Parse("fe80::1"), all[1].NextHop);
        Assert.False(all[2].IsDefault); // an unreachable route in the local table
    }

    [Theory]
    [InlineData("2001:db8:77::1", 40)]
    [InlineData("192.168.77.1", 35)]
    [InlineData("fd77::1", 3)]
    [InlineData("2002:c000:204::1", 30)]
    [InlineData("2001:0:1::1", 5)]
    public void RFC_6724_precedence(string address, int precedence) =>
        Assert.Equal(precedence, AddressOrder.Precedence(IPAddress.Parse(address)));

    [Fact]
    public void Dual_stack_order_is_global_IPv6_then_IPv4_then_unique_local()
    {
        var sorted = AddressOrder.Sort(new[] { "fd77::1", "192.168.77.1", "2001:db8:77::1", "192.168.77.2" }.Select(IPAddress.Parse));
        Assert.Equal(["2001:db8:77::1", "192.168.77.1", "192.168.77.2", "fd77::1"], sorted.Select(a => a.ToString()));
    }
}
