using System.Buffers.Binary;
using System.Net;
using SmbRoot.Core.Netlink;
using Xunit;

namespace SmbRoot.Tests.Netlink;

public class RouteMessagesTests
{
    [Fact]
    public void AddAddress_carries_local_address_and_broadcast()
    {
        byte[] message = RouteMessages.AddAddress(3, IPAddress.Parse("10.0.2.15"), 24, 42);
        Assert.Equal((uint)message.Length, BinaryPrimitives.ReadUInt32LittleEndian(message));
        Assert.Equal(RouteMessages.RTM_NEWADDR, BinaryPrimitives.ReadUInt16LittleEndian(message.AsSpan(4)));
        Assert.Equal(42u, BinaryPrimitives.ReadUInt32LittleEndian(message.AsSpan(8)));
        Assert.Equal(2, message[16]); // AF_INET
        Assert.Equal(24, message[17]); // prefix
        Assert.Equal(3, BinaryPrimitives.ReadInt32LittleEndian(message.AsSpan(20)));
        Assert.Equal(0, message.Length % 4);
        // The last attribute is IFA_BROADCAST 10.0.2.255.
        Assert.Equal(new byte[] { 10, 0, 2, 255 }, message[^4..]);
    }

    [Theory]
    [InlineData(RouteMessages.DuplicateCheck.Wait, 0u)]
    [InlineData(RouteMessages.DuplicateCheck.Optimistic, 4u)] // IFA_F_OPTIMISTIC
    [InlineData(RouteMessages.DuplicateCheck.Skip, 2u)] // IFA_F_NODAD
    public void An_IPv6_address_has_no_broadcast_and_says_how_it_meets_duplicate_detection(RouteMessages.DuplicateCheck check, uint flags)
    {
        byte[] message = RouteMessages.AddAddress(3, IPAddress.Parse("2001:db8:77::4d"), 64, 1, check: check);
        Assert.Equal(10, message[16]); // AF_INET6
        Assert.Equal(64, message[17]);
        // IFA_LOCAL and IFA_ADDRESS (20 bytes each), then IFA_FLAGS (type 8).
        Assert.Equal(16 + 8 + 20 + 20 + 8, message.Length);
        Assert.Equal(8, BinaryPrimitives.ReadUInt16LittleEndian(message.AsSpan(message.Length - 6)));
        Assert.Equal(flags, BinaryPrimitives.ReadUInt32LittleEndian(message.AsSpan(message.Length - 4)));
        byte[] route = RouteMessages.AddRoute(3, IPAddress.Parse("fe80::1"), null, 0, 2);
        Assert.Equal(10, route[16]);
        Assert.Contains("FE-80-00-00", BitConverter.ToString(route));
    }

    [Fact]
    public void AddRoute_default_via_gateway()
    {
        byte[] message = RouteMessages.AddRoute(2, IPAddress.Parse("10.0.2.2"), null, 0, 7);
        Assert.Equal(RouteMessages.RTM_NEWROUTE, BinaryPrimitives.ReadUInt16LittleEndian(message.AsSpan(4)));
        Assert.Equal(0, message[17]); // rtm_dst_len 0: default route
        Assert.Contains("0A-00-02-02", BitConverter.ToString(message));
    }

    private static byte[] Ack(uint sequence, int error)
    {
        var ack = new byte[36];
        BinaryPrimitives.WriteUInt32LittleEndian(ack, 36);
        BinaryPrimitives.WriteUInt16LittleEndian(ack.AsSpan(4), RouteMessages.NLMSG_ERROR);
        BinaryPrimitives.WriteUInt32LittleEndian(ack.AsSpan(8), sequence);
        BinaryPrimitives.WriteInt32LittleEndian(ack.AsSpan(16), -error);
        return ack;
    }

    [Fact]
    public void ReadAck_finds_success_and_errno_for_its_sequence()
    {
        Assert.Equal(0, RouteMessages.ReadAck(Ack(5, 0), 5));
        Assert.Equal(17, RouteMessages.ReadAck(Ack(5, 17), 5));
        Assert.Null(RouteMessages.ReadAck(Ack(4, 0), 5));
        Assert.Equal(13, RouteMessages.ReadAck([.. Ack(4, 0), .. Ack(5, 13)], 5));
    }

    [Fact]
    public void A_message_whose_length_runs_past_the_bytes_is_no_answer() =>
        Assert.Null(RouteMessages.ReadAck(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0 }, 1));
}
