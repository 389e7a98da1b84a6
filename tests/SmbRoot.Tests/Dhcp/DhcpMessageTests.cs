using System.Net;
using SmbRoot.Core.Dhcp;
using Xunit;

namespace SmbRoot.Tests.Dhcp;

public class DhcpMessageTests
{
    private static readonly byte[] Mac = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];

    private static DhcpMessage Reply(DhcpMessageType type, Dictionary<byte, byte[]> options) =>
        new(DhcpMessage.BootReply, 0x1234, 0, true, IPAddress.Any, IPAddress.Parse("192.168.77.50"), IPAddress.Parse("192.168.77.1"), Mac,
            new Dictionary<byte, byte[]>(options) { [DhcpMessage.OptionMessageType] = [(byte)type] });

    [Fact]
    public void Discover_is_a_broadcast_bootp_request_with_the_options_we_need()
    {
        var bytes = DhcpMessage.Discover(Mac, 0xCAFEBABE, 3, "node7").Encode();
        Assert.True(bytes.Length >= 300);
        Assert.Equal(1, bytes[0]);
        Assert.Equal(0x80, bytes[10]); // broadcast flag
        var decoded = DhcpMessage.TryDecode(bytes)!;
        Assert.Equal(0xCAFEBABEu, decoded.TransactionId);
        Assert.Equal(DhcpMessageType.Discover, decoded.Type);
        Assert.Equal(Mac, decoded.HardwareAddress);
        Assert.Equal("node7"u8.ToArray(), decoded.Options[DhcpMessage.OptionHostName]);
        Assert.Contains(DhcpMessage.OptionDnsServers, decoded.Options[DhcpMessage.OptionParameterList]);
    }

    [Fact]
    public void Request_names_the_offer_and_the_server()
    {
        var request = DhcpMessage.TryDecode(DhcpMessage.Request(Mac, 7, 0, IPAddress.Parse("10.0.0.9"), IPAddress.Parse("10.0.0.1"), null).Encode())!;
        Assert.Equal(DhcpMessageType.Request, request.Type);
        Assert.Equal(new byte[] { 10, 0, 0, 9 }, request.Options[DhcpMessage.OptionRequestedAddress]);
        Assert.Equal(new byte[] { 10, 0, 0, 1 }, request.Options[DhcpMessage.OptionServerId]);
        var renew = DhcpMessage.TryDecode(DhcpMessage.Renew(Mac, 8, IPAddress.Parse("10.0.0.9"), null).Encode())!;
        Assert.Equal(IPAddress.Parse("10.0.0.9"), renew.ClientAddress);
        Assert.False(renew.Options.ContainsKey(DhcpMessage.OptionServerId));
    }

    [Fact]
    public void An_ack_becomes_a_lease()
    {
        var ack = Reply(DhcpMessageType.Ack, new()
        {
            [DhcpMessage.OptionSubnetMask] = [255, 255, 255, 0],
            [DhcpMessage.OptionRouter] = [192, 168, 77, 1, 192, 168, 77, 2],
            [DhcpMessage.OptionDnsServers] = [192, 168, 77, 1, 9, 9, 9, 9],
            [DhcpMessage.OptionDomainName] = "lab.example"u8.ToArray(),
            [DhcpMessage.OptionLeaseTime] = [0, 0, 0x0E, 0x10],
            [DhcpMessage.OptionServerId] = [192, 168, 77, 1],
        });
        var lease = DhcpLease.FromReply(DhcpMessage.TryDecode(ack.Encode())!)!;
        Assert.Equal(IPAddress.Parse("192.168.77.50"), lease.Address);
        Assert.Equal(24, lease.PrefixLength);
        Assert.Equal(IPAddress.Parse("192.168.77.1"), lease.Router);
        Assert.Equal([IPAddress.Parse("192.168.77.1"), IPAddress.Parse("9.9.9.9")], lease.DnsServers);
        Assert.Equal("lab.example", lease.DomainName);
        Assert.Equal(TimeSpan.FromSeconds(3600), lease.LeaseTime);
        Assert.Equal(TimeSpan.FromSeconds(1800), lease.RenewalTime);
    }

    [Fact]
    public void Bad_replies_give_no_lease()
    {
        Assert.Null(DhcpLease.FromReply(Reply(DhcpMessageType.Ack, new() { [DhcpMessage.OptionSubnetMask] = [255, 0, 255, 0] })));
        Assert.Null(DhcpLease.FromReply(Reply(DhcpMessageType.Ack, new()) with { YourAddress = IPAddress.Any }));
        Assert.Null(DhcpLease.FromReply(Reply(DhcpMessageType.Ack, new()) with { Operation = DhcpMessage.BootRequest }));
        var noName = DhcpLease.FromReply(Reply(DhcpMessageType.Ack, new() { [DhcpMessage.OptionHostName] = "bad name;rm -rf"u8.ToArray() }))!;
        Assert.Null(noName.HostName);
    }

    [Fact]
    public void Options_split_across_codes_are_joined_and_truncated_ones_refused()
    {
        var bytes = Reply(DhcpMessageType.Offer, new()).Encode();
        int end = Array.LastIndexOf(bytes, (byte)255);
        byte[] split = [.. bytes[..end], 15, 2, (byte)'a', (byte)'b', 15, 1, (byte)'c', 255];
        Assert.Equal("abc"u8.ToArray(), DhcpMessage.TryDecode(split)!.Options[15]);
        Assert.Null(DhcpMessage.TryDecode([.. bytes[..end], 15, 9, (byte)'a']));
    }

}
