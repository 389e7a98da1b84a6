using System.Net;
using SmbRoot.Core.Plan;
using Xunit;

namespace SmbRoot.Tests.Plan;

public class NetworkConfigTests
{
    [Fact]
    public void The_full_static_form()
    {
        var config = NetworkConfig.Parse("192.0.2.10:192.0.2.1:192.0.2.254:255.255.255.0:node7:eth1:off:192.0.2.53:192.0.2.54");
        Assert.Equal(IPAddress.Parse("192.0.2.10"), config.Address);
        Assert.Equal(IPAddress.Parse("192.0.2.1"), config.Peer);
        Assert.Equal(IPAddress.Parse("192.0.2.254"), config.Gateway);
        Assert.Equal(24, config.PrefixLength);
        Assert.Equal("node7", config.HostName);
        Assert.Equal("eth1", config.Device);
        Assert.Equal([IPAddress.Parse("192.0.2.53"), IPAddress.Parse("192.0.2.54")], config.DnsServers);
    }

    [Theory]
    [InlineData("10.1.2.3::::::", 8)]
    [InlineData("172.16.0.9", 16)]
    [InlineData("192.168.1.9:::::eth0:none", 24)]
    [InlineData("10.1.2.3:::20", 20)]
    [InlineData("10.1.2.3:::255.255.240.0::", 20)]
    [InlineData("10.1.2.3:::255.255.255.255", 32)]
    public void Netmask_as_mask_prefix_or_classful_default(string value, int prefix)
    {
        Assert.Equal(prefix, NetworkConfig.Parse(value).PrefixLength);
    }

    [Theory]
    [InlineData("ibft", "'ibft' is not supported")]
    [InlineData("eth0:link6", "'link6' is not supported")]
    [InlineData("dhcp,on", "names DHCP twice")]
    [InlineData("auto6,dhcp6", "names two IPv6 modes")]
    [InlineData("[2001:db8::5]:::::eth0:auto6", "goes with autoconf off")]
    [InlineData("[2001:db8::5]:::129", "must be 1 to 128")]
    [InlineData("[[2001:db8::5]]", "unbalanced")]
    [InlineData("[2001:db8::5]:::255.255.255.0", "must be a prefix length")]
    [InlineData("[2001:db8::5]::10.0.0.1", "not of the client address's family")]
    [InlineData("[2001:db8::5]::[fe80::1]:64", "needs the interface")]
    [InlineData("[2001:db8::5%eth0]", "not an IPv6 address")]
    [InlineData("[10.0.0.1]", "not an IPv6 address")]
    [InlineData("[2001:db8::5", "'[' without ']'")]
    [InlineData("2001:db8::5", "an IPv6 address goes in brackets")]
    [InlineData(":::::eth0:ibft", "autoconf 'ibft' is not supported")]
    [InlineData("eth0:rarp", "not supported")]
    [InlineData("off", "the network must be configured")]
    [InlineData("/x:dhcp", "not a valid interface name")]
    [InlineData("10.0.0.1::::::bogus", "autoconf 'bogus'")]
    [InlineData("::10.0.0.1:255.0.0.0::eth0:off", "no client address")]
    [InlineData("::::::static", "no client address")]
    [InlineData("10.0.0.300", "client address '10.0.0.300'")]
    [InlineData("10.0.0.1::10.0.0.x", "gateway '10.0.0.x'")]
    [InlineData("10.0.0.1:::255.0.255.0", "not a contiguous mask")]
    [InlineData("10.0.0.1:::33", "must be 1 to 32")]
    [InlineData("10.0.0.1::192.168.0.1:255.0.0.0", "not inside 10.0.0.1/8")]
    [InlineData("10.0.0.1::::bad_host!", "host name 'bad_host!'")]
    [InlineData("10.0.0.1:::::a/b", "not a valid interface name")]
    [InlineData("10.0.0.1::::::off:1.2.3", "dns0 '1.2.3'")]
    [InlineData("1:2:3:4:5:6:7:8:9:10:11", "too many fields")]
    public void Malformed_values_name_the_problem(string value, string expected)
    {
        var error = Assert.Throws<PlanException>(() => NetworkConfig.Parse(value));
        Assert.Contains(expected, error.Message);
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData("dhcp", null)]
    [InlineData("on", null)]
    [InlineData("eth1:dhcp", "eth1")]
    [InlineData(":::::eth2:dhcp", "eth2")]
    [InlineData(":::::eth3", "eth3")]
    [InlineData("::::node7::any:192.0.2.53", null)]
    public void DHCP_in_the_kernels_and_dracuts_forms_and_without_ip(string? value, string? device)
    {
        var config = NetworkConfig.Parse(value);
        Assert.Equal(AddressMethod.Dhcp, config.Method);
        Assert.Null(config.Address);
        Assert.Equal(device, config.Device);
    }

    [Fact]
    public void DHCP_keeps_the_host_name_and_dns_given_beside_it()
    {
        var config = NetworkConfig.Parse("::::node7::dhcp:192.0.2.53");
        Assert.Equal("node7", config.HostName);
        Assert.Equal([IPAddress.Parse("192.0.2.53")], config.DnsServers);
    }

    [Fact]
    public void BOOTIF_is_the_PXE_form_of_a_MAC()
    {
        Assert.Equal(new byte[] { 0x52, 0x54, 0x00, 0x12, 0x34, 0xAB }, NetworkConfig.ParseBootInterface("01-52-54-00-12-34-ab"));
        foreach (var bad in new[] { "52-54-00-12-34-56", "01-52-54-00-12-34", "01-52-54-00-12-34-zz", "06-52-54-00-12-34-56", "" })
        {
            Assert.Contains("BOOTIF=", Assert.Throws<PlanException>(() => NetworkConfig.ParseBootInterface(bad)).Message);
        }
    }

    [Theory]
    [InlineData("auto6", AddressMethod.None, Ipv6Method.Auto6, null)]
    [InlineData("dhcp6", AddressMethod.None, Ipv6Method.Dhcp6, null)]
    [InlineData("eth1:either6", AddressMethod.None, Ipv6Method.Either6, "eth1")]
    [InlineData("dhcp,auto6", AddressMethod.Dhcp, Ipv6Method.Auto6, null)]
    [InlineData("eth0:dhcp,dhcp6", AddressMethod.Dhcp, Ipv6Method.Dhcp6, "eth0")]
    [InlineData(":::::eth0:auto6:[2001:db8::53]", AddressMethod.None, Ipv6Method.Auto6, "eth0")]
    [InlineData("192.0.2.10::192.0.2.1:24::eth0:auto6", AddressMethod.Static, Ipv6Method.Auto6, "eth0")]
    public void IPv6_modes_alone_or_beside_IPv4_in_dracuts_names(string value, AddressMethod method, Ipv6Method ipv6, string? device)
    {
        var config = NetworkConfig.Parse(value);
        Assert.Equal(method, config.Method);
        Assert.Equal(ipv6, config.Ipv6);
        Assert.Equal(device, config.Device);
        Assert.True(config.HasIpv6);
        Assert.Equal(method != AddressMethod.None, config.HasIpv4);
    }

    [Fact]
    public void A_static_IPv6_address_in_brackets()
    {
        var config = NetworkConfig.Parse("[2001:db8::5]::[2001:db8::1]:64:node7:eth0:off:[2001:db8::53]:192.0.2.53");
        Assert.Equal(AddressMethod.Static, config.Method);
        Assert.Equal(IPAddress.Parse("2001:db8::5"), config.Address);
        Assert.Equal(IPAddress.Parse("2001:db8::1"), config.Gateway);
        Assert.Equal(64, config.PrefixLength);
        Assert.Equal([IPAddress.Parse("2001:db8::53"), IPAddress.Parse("192.0.2.53")], config.DnsServers);
        Assert.True(config.HasIpv6);
        Assert.False(config.HasIpv4);
        Assert.Equal(64, NetworkConfig.Parse("[2001:db8::5]").PrefixLength);
        Assert.Equal(IPAddress.Parse("fe80::1"), NetworkConfig.Parse("[2001:db8::5]::[fe80::1]:64::eth0:off").Gateway);
        Assert.Equal("2001:db8::5/64 on eth0 via 2001:db8::1, host name node7, dns 2001:db8::53 192.0.2.53", config.ToString());
        Assert.Equal("DHCP + SLAAC on the first interface with a link", NetworkConfig.Parse("dhcp,auto6").ToString());
    }
}
