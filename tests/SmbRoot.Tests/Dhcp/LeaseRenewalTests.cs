using System.Net;
using SmbRoot.Core.Dhcp;
using Xunit;

namespace SmbRoot.Tests.Dhcp;

public class LeaseRenewalTests
{
    private static readonly IPAddress Server = TestReplies.Server;
    private static readonly DhcpLease Lease = new(IPAddress.Parse("192.168.77.104"), 24, Server, [], null, null,
        TimeSpan.FromSeconds(120), TimeSpan.FromSeconds(60), Server);

    private static TimeSpan S(double seconds) => TimeSpan.FromSeconds(seconds);

    private static LeaseRenewal Renewal() => new(Lease, S(0), () => 0xABCD);

    private static DhcpMessage Reply(DhcpMessageType type, uint xid, string address = "192.168.77.104") => TestReplies.Reply(type, xid, address);

    [Fact]
    public void Nothing_is_due_before_T1()
    {
        var renewal = Renewal();
        Assert.Null(renewal.Due(S(59)));
        Assert.Equal(S(60), renewal.NextDeadline);
    }

    [Fact]
    public void An_ACK_renews_and_the_next_renewal_is_at_the_new_T1()
    {
        var renewal = Renewal();
        Assert.Equal(new LeaseRenewal.Step.Send(0xABCD), renewal.Due(S(60)));
        Assert.Equal(0xABCDu, renewal.Waiting);
        Assert.Null(renewal.OnReply(Reply(DhcpMessageType.Ack, 0x1234), S(61)));
        Assert.Equal(LeaseRenewal.Result.Renewed, renewal.OnReply(Reply(DhcpMessageType.Ack, 0xABCD), S(61)));
        Assert.Null(renewal.Waiting);
        Assert.Equal(TimeSpan.FromHours(1), renewal.Lease.LeaseTime);
        Assert.Equal(S(61) + renewal.Lease.RenewalTime, renewal.NextDeadline);
    }

    [Fact]
    public void Unanswered_requests_are_sent_again_after_2_4_8_seconds_then_it_waits_30()
    {
        var renewal = Renewal();
        Assert.IsType<LeaseRenewal.Step.Send>(renewal.Due(S(60)));
        Assert.Null(renewal.Due(S(61.9)));
        Assert.IsType<LeaseRenewal.Step.Send>(renewal.Due(S(62)));
        Assert.Null(renewal.Due(S(65.9)));
        Assert.IsType<LeaseRenewal.Step.Send>(renewal.Due(S(66)));
        Assert.Null(renewal.Due(S(73.9)));
        Assert.Equal(new LeaseRenewal.Step.GaveUp(S(30)), renewal.Due(S(74)));
        Assert.Null(renewal.Waiting);
        Assert.Equal(S(104), renewal.NextDeadline);
        Assert.Equal(Lease, renewal.Lease);
    }

    [Fact]
    public void A_NAK_or_another_address_keeps_the_lease_and_asks_again_later()
    {
        var renewal = Renewal();
        renewal.Due(S(60));
        Assert.Equal(LeaseRenewal.Result.Refused, renewal.OnReply(Reply(DhcpMessageType.Nak, 0xABCD), S(61)));
        Assert.Equal(S(91), renewal.NextDeadline);
        renewal.Due(S(91));
        Assert.Equal(LeaseRenewal.Result.OtherAddress, renewal.OnReply(Reply(DhcpMessageType.Ack, 0xABCD, "192.168.77.150"), S(92)));
        Assert.Equal(Lease, renewal.Lease);
    }

    [Fact]
    public void A_reply_when_nothing_is_asked_is_ignored()
    {
        Assert.Null(Renewal().OnReply(Reply(DhcpMessageType.Ack, 0xABCD), S(10)));
    }
}

public class Lease6RenewalTests
{
    private static readonly byte[] Mac = [0x52, 0x54, 0x00, 0x77, 0x00, 0x0a];

    private static TimeSpan S(double seconds) => TimeSpan.FromSeconds(seconds);

    private static Dhcp6Message Reply(uint xid, string address = "2001:db8:77::4d", ushort? status = null) =>
        Dhcp6Message.TryRead(Dhcp6MessageTests.Answer(Dhcp6MessageType.Reply, xid, address, iaStatus: status), Mac)!;

    private static Lease6Renewal Renewal() => new(Dhcp6Lease.FromReply(Reply(1), out _)!, S(0), () => 0xABCD);

    [Fact]
    public void A_reply_from_the_leases_server_renews_at_its_T1()
    {
        var renewal = Renewal();
        Assert.Null(renewal.Due(S(1799)));
        Assert.Equal(new Lease6Renewal.Step.Send(0xABCD), renewal.Due(S(1800)));
        Assert.Null(renewal.OnReply(Reply(0x1234), S(1801)));
        Assert.Equal(Lease6Renewal.Result.Renewed, renewal.OnReply(Reply(0xABCD), S(1801)));
        Assert.Equal(S(3601), renewal.NextDeadline);
    }

    [Fact]
    public void No_binding_or_another_address_keeps_the_lease_and_asks_again_later()
    {
        var renewal = Renewal();
        var lease = renewal.Lease;
        renewal.Due(S(1800));
        Assert.Equal(Lease6Renewal.Result.Refused, renewal.OnReply(Reply(0xABCD, status: 3), S(1801))); // NoBinding
        Assert.Equal(S(1831), renewal.NextDeadline);
        renewal.Due(S(1831));
        Assert.Equal(Lease6Renewal.Result.OtherAddress, renewal.OnReply(Reply(0xABCD, "2001:db8:77::99"), S(1832)));
        Assert.Equal(lease, renewal.Lease);
    }

    [Fact]
    public void Another_servers_reply_is_not_the_answer()
    {
        var renewal = Renewal();
        renewal.Due(S(1800));
        var answer = Dhcp6MessageTests.Answer(Dhcp6MessageType.Reply, 0xABCD);
        int at = answer.AsSpan().IndexOf(new byte[] { 0, 2, 0, 14 }) + 4; // SERVERID
        answer[at + 13] ^= 0xFF;
        Assert.Null(renewal.OnReply(Dhcp6Message.TryRead(answer, Mac)!, S(1801)));
        Assert.Equal(0xABCDu, renewal.Waiting);
    }
}
