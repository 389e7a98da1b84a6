using System.Buffers.Binary;
using System.Net;
using SmbRoot.Core.Dhcp;
using Xunit;

namespace SmbRoot.Tests.Dhcp;

public class Dhcp6MessageTests
{
    private static readonly byte[] Mac = [0x52, 0x54, 0x00, 0x77, 0x00, 0x0a];
    private static readonly byte[] ServerDuid = [0, 1, 0, 1, 0x2e, 0x1f, 0x00, 0x01, 0x52, 0x54, 0x00, 0x99, 0x99, 0x99];

    private static byte[] Option(ushort code, params byte[] data) =>
        [(byte)(code >> 8), (byte)code, (byte)(data.Length >> 8), (byte)data.Length, .. data];

    private static byte[] U32(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return bytes;
    }

    /// <summary>A server's answer as dnsmasq sends it: client and server ids, the IA_NA with one address, DNS, a domain.</summary>
    internal static byte[] Answer(Dhcp6MessageType type, uint xid, string address = "2001:db8:77::4d", uint t1 = 1800, uint t2 = 2880,
        uint preferred = 3600, uint valid = 3600, ushort? iaStatus = null, byte[]? clientId = null, bool rapidCommit = false)
    {
        byte[] iaAddress = Option(5, [.. IPAddress.Parse(address).GetAddressBytes(), .. U32(preferred), .. U32(valid)]);
        byte[] iaBody = [.. U32(Dhcp6Message.AssociationId(Mac)), .. U32(t1), .. U32(t2), .. iaAddress,
            .. iaStatus is { } s ? Option(13, (byte)(s >> 8), (byte)s) : []];
        return
        [
            (byte)type, (byte)(xid >> 16), (byte)(xid >> 8), (byte)xid,
            .. Option(1, clientId ?? Dhcp6Message.ClientIdentity(Mac)),
            .. Option(2, ServerDuid),
            .. Option(3, iaBody),
            .. Option(23, [.. IPAddress.Parse("2001:db8:77::1").GetAddressBytes(), .. IPAddress.Parse("ff02::1").GetAddressBytes()]),
            .. Option(24, 3, (byte)'l', (byte)'a', (byte)'b', 7, (byte)'e', (byte)'x', (byte)'a', (byte)'m', (byte)'p', (byte)'l', (byte)'e', 0),
            .. rapidCommit ? Option(14) : [],
        ];
    }

    [Fact]
    public void The_solicit_names_this_machine_by_its_MAC_and_asks_for_an_address_and_DNS()
    {
        var solicit = Dhcp6Message.Solicit(Mac, 0xabcdef, TimeSpan.FromSeconds(1.5));
        Assert.Equal(new byte[] { 1, 0xab, 0xcd, 0xef }, solicit[..4]);
        Assert.Equal([0, 1, 0, 10, 0, 3, 0, 1, .. Mac], solicit[4..18]); // CLIENTID, DUID-LL
        Assert.True(solicit.AsSpan().IndexOf(new byte[] { 0, 6, 0, 4, 0, 23, 0, 24 }) > 0); // ORO: DNS servers, domain list
        Assert.Equal(new byte[] { 0, 14, 0, 0 }, solicit[^4..]); // rapid commit
        var request = Dhcp6Message.Request(Mac, 7, TimeSpan.Zero, ServerDuid, IPAddress.Parse("2001:db8:77::4d"));
        Assert.Equal((byte)Dhcp6MessageType.Request, request[0]);
        Assert.True(request.AsSpan().IndexOf(ServerDuid) > 0);
        Assert.True(request.AsSpan().IndexOf(IPAddress.Parse("2001:db8:77::4d").GetAddressBytes()) > 0);
        Assert.Equal((byte)Dhcp6MessageType.Rebind, Dhcp6Message.Renew(Mac, 7, TimeSpan.Zero, null, IPAddress.Parse("2001:db8:77::4d"))[0]);
        // Header, CLIENTID, ORO, ELAPSED_TIME: no IA_NA.
        Assert.Equal(4 + 14 + 8 + 6, Dhcp6Message.InformationRequest(Mac, 7, TimeSpan.Zero).Length);
    }

    [Fact]
    public void A_reply_gives_the_lease()
    {
        var reply = Dhcp6Message.TryRead(Answer(Dhcp6MessageType.Reply, 0x123456, rapidCommit: true), Mac)!;
        Assert.Equal(0x123456u, reply.TransactionId);
        Assert.True(reply.RapidCommit);
        var lease = Dhcp6Lease.FromReply(reply, out _)!;
        Assert.Equal(IPAddress.Parse("2001:db8:77::4d"), lease.Address);
        Assert.Equal([IPAddress.Parse("2001:db8:77::1")], lease.DnsServers);
        Assert.Equal("lab.example", lease.DomainName);
        Assert.Equal(TimeSpan.FromSeconds(1800), lease.RenewalTime);
        Assert.Equal(TimeSpan.FromSeconds(3600), lease.ValidLifetime);
        Assert.Contains(lease.Notes, n => n.Contains("ff02::1"));
        Assert.Equal("000100012e1f0001525400999999", lease.Server);
    }

    [Fact]
    public void Another_clients_answer_or_a_clients_message_is_not_read()
    {
        Assert.Null(Dhcp6Message.TryRead(Answer(Dhcp6MessageType.Reply, 1, clientId: Dhcp6Message.ClientIdentity([1, 2, 3, 4, 5, 6])), Mac));
        Assert.Null(Dhcp6Message.TryRead(Dhcp6Message.Solicit(Mac, 1, TimeSpan.Zero), Mac));
        var answer = Answer(Dhcp6MessageType.Advertise, 1);
        for (int cut = 0; cut < answer.Length; cut++)
        {
            // Any truncation either still parses (it cut between options) or is refused; it never throws.
            _ = Dhcp6Message.TryRead(answer.AsSpan(0, cut), Mac);
        }
    }

    [Theory]
    [InlineData("ff02::1", 1800u, 2880u, 3600u, 3600u, null, "which no machine can use")]
    [InlineData("fe80::4d", 1800u, 2880u, 3600u, 3600u, null, "which no machine can use")]
    [InlineData("2001:db8:77::4d", 1800u, 2880u, 7200u, 3600u, null, "RFC 8415 says to discard")]
    [InlineData("2001:db8:77::4d", 1800u, 2880u, 0u, 0u, null, "RFC 8415 says to discard")]
    [InlineData("2001:db8:77::4d", 1800u, 2880u, 3600u, 3600u, (ushort)2, "no address for this machine (status 2)")]
    public void Hostile_or_refusing_answers_give_no_lease(string address, uint t1, uint t2, uint preferred, uint valid, ushort? status, string reason)
    {
        var reply = Dhcp6Message.TryRead(Answer(Dhcp6MessageType.Reply, 1, address, t1, t2, preferred, valid, status), Mac)!;
        Assert.Null(Dhcp6Lease.FromReply(reply, out string refusal));
        Assert.Contains(reason, refusal);
    }

    [Theory]
    [InlineData(0u, 0u, 3000u, 1500)]
    [InlineData(3000u, 1000u, 3600u, 1800)]
    [InlineData(5u, 8u, 3600u, 30)]
    [InlineData(uint.MaxValue, uint.MaxValue, uint.MaxValue, 4294967295)]
    public void T1_that_is_missing_late_or_too_soon_is_replaced(uint t1, uint t2, uint preferred, double renewalSeconds)
    {
        var reply = Dhcp6Message.TryRead(Answer(Dhcp6MessageType.Reply, 1, t1: t1, t2: t2, preferred: preferred, valid: preferred), Mac)!;
        Assert.Equal(TimeSpan.FromSeconds(renewalSeconds), Dhcp6Lease.FromReply(reply, out _)!.RenewalTime);
    }
}
