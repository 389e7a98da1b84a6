using System.Net;
using SmbRoot.Core.Dhcp;
using Xunit;

namespace SmbRoot.Tests.Dhcp;

/// <summary>DHCP replies that are wrong or hostile: each gets a clear note or is not taken, never a hang or a silent misconfiguration.</summary>
public class HostileRepliesTests
{
    private static readonly byte[] Mac = TestReplies.Mac;
    private static readonly IPAddress Server = TestReplies.Server;

    private static DhcpMessage Ack(params (byte Code, byte[] Value)[] extra) => TestReplies.Reply(DhcpMessageType.Ack, extra: extra);

    private static byte[] Seconds(uint seconds) => TestReplies.Seconds(seconds);

    [Theory]
    [InlineData(0u)]
    [InlineData(1u)]
    [InlineData(20u)]
    public void A_lease_of_almost_nothing_is_renewed_no_sooner_than_the_floor(uint seconds)
    {
        var lease = DhcpLease.FromReply(Ack((DhcpMessage.OptionLeaseTime, Seconds(seconds))))!;
        Assert.Equal(DhcpLease.ShortestRenewal, lease.RenewalTime);
        Assert.Contains("not sooner", Assert.Single(lease.Notes));
    }

    [Fact]
    public void A_T1_of_zero_is_raised_to_the_floor()
    {
        var lease = DhcpLease.FromReply(Ack((DhcpMessage.OptionLeaseTime, Seconds(3600)), (DhcpMessage.OptionRenewalTime, Seconds(0))))!;
        Assert.Equal(DhcpLease.ShortestRenewal, lease.RenewalTime);
    }

    [Fact]
    public void A_router_outside_the_subnet_is_ignored_with_a_note()
    {
        var lease = DhcpLease.FromReply(Ack((DhcpMessage.OptionRouter, [10, 9, 9, 9])))!;
        Assert.Null(lease.Router);
        Assert.Contains("the router 10.9.9.9 is outside 192.168.77.104/24", Assert.Single(lease.Notes));
    }

    [Theory]
    [InlineData(64, true)]
    [InlineData(65, false)]
    [InlineData(253, false)]
    public void A_host_name_longer_than_the_kernel_takes_is_ignored(int length, bool kept)
    {
        var lease = DhcpLease.FromReply(Ack((DhcpMessage.OptionHostName, System.Text.Encoding.ASCII.GetBytes(new string('h', length)))))!;
        Assert.Equal(kept, lease.HostName is not null);
        Assert.Equal(kept ? 0 : 1, lease.Notes.Count);
    }

    [Fact]
    public void A_sane_lease_has_no_notes()
    {
        var lease = DhcpLease.FromReply(Ack((DhcpMessage.OptionLeaseTime, Seconds(3600))))!;
        Assert.Empty(lease.Notes);
        Assert.Equal(TimeSpan.FromSeconds(1800), lease.RenewalTime);
        Assert.Equal(Server, lease.Router);
    }

    [Fact]
    public void A_reply_must_come_from_the_server_port()
    {
        byte[] payload = Ack().Encode();
        var fromServer = UdpFrame.Build(Server, IPAddress.Broadcast, DhcpMessage.ServerPort, DhcpMessage.ClientPort, payload);
        var fromElsewhere = UdpFrame.Build(Server, IPAddress.Broadcast, 6767, DhcpMessage.ClientPort, payload);
        Assert.NotNull(DhcpMessage.TryReadReply(fromServer, Mac));
        Assert.Null(DhcpMessage.TryReadReply(fromElsewhere, Mac));
        Assert.Null(DhcpMessage.TryReadReply(fromServer, [0x52, 0x54, 0, 0, 0, 1]));
    }

    [Fact]
    public void A_renewal_answered_by_another_server_is_not_taken()
    {
        var lease = DhcpLease.FromReply(Ack((DhcpMessage.OptionLeaseTime, Seconds(120))))!;
        var renewal = new LeaseRenewal(lease, TimeSpan.Zero, () => 42);
        renewal.Due(lease.RenewalTime);
        var rogue = Ack((DhcpMessage.OptionServerId, [192, 168, 77, 66]));
        Assert.Null(renewal.OnReply(rogue, lease.RenewalTime + TimeSpan.FromSeconds(1)));
        Assert.Equal(42u, renewal.Waiting);
        Assert.Equal(LeaseRenewal.Result.Renewed, renewal.OnReply(Ack(), lease.RenewalTime + TimeSpan.FromSeconds(1)));
    }

    [Fact]
    public void A_renewal_reply_with_another_transaction_id_is_not_taken()
    {
        var lease = DhcpLease.FromReply(Ack((DhcpMessage.OptionLeaseTime, Seconds(120))))!;
        var renewal = new LeaseRenewal(lease, TimeSpan.Zero, () => 7);
        renewal.Due(lease.RenewalTime);
        Assert.Null(renewal.OnReply(TestReplies.Reply(DhcpMessageType.Ack, xid: 8), lease.RenewalTime + TimeSpan.FromSeconds(1)));
        Assert.Equal(7u, renewal.Waiting);
    }

    [Fact]
    public void An_option_longer_than_the_packet_makes_the_reply_unreadable_not_a_crash()
    {
        byte[] packet = Ack().Encode();
        int end = Array.LastIndexOf(packet, (byte)255);
        packet[end] = DhcpMessage.OptionHostName; // a host name option whose length runs past the end
        Assert.Null(DhcpMessage.TryDecode([.. packet, 200, (byte)'h']));
    }

    [Fact]
    public void Options_repeated_to_the_packet_s_end_are_concatenated_and_an_overlong_host_name_is_ignored()
    {
        byte[] packet = Ack().Encode();
        int end = Array.LastIndexOf(packet, (byte)255);
        var hostile = packet.Take(end).ToList();
        for (int i = 0; i < 200; i++) hostile.AddRange([DhcpMessage.OptionHostName, 255, .. Enumerable.Repeat((byte)'h', 255)]);
        hostile.Add(255);
        var reply = DhcpMessage.TryDecode(hostile.ToArray())!;
        Assert.Equal(200 * 255, reply.Options[DhcpMessage.OptionHostName].Length);
        var lease = DhcpLease.FromReply(reply)!;
        Assert.Null(lease.HostName);
        Assert.Contains(lease.Notes, n => n.StartsWith("the host name from DHCP is not a host name"));
    }
}
