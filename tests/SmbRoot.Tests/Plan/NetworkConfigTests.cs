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
    [InlineData("dhcp6", "'dhcp6' is not supported")]
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
}
