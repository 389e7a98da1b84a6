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
