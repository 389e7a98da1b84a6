using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Logging;
using SmbRoot.Core.Dhcp;
using SmbRoot.Interop;
using SmbRoot.Logging;

namespace SmbRoot.Network;

/// <summary>
/// DHCP (RFC 2131) over a packet socket: DISCOVER, OFFER, REQUEST, ACK, with retransmission
/// back-off (4 s doubling to 16 s, as RFC 2131 4.1 suggests, but starting at 1 s for a fast boot)
/// and progress on the console. Guard mode's renewal (<see cref="NetworkGuard"/>) sends and reads through the same helpers.
/// </summary>
public sealed class DhcpClient(ILogger log, string interfaceName, int interfaceIndex, byte[] mac, string? hostName)
{
    /// <summary>Obtains a lease or gives up at <paramref name="limit"/> (the caller's rd.retry does the rest).</summary>
    public DhcpLease Obtain(TimeSpan limit)
    {
        using var socket = new PacketSocket(interfaceIndex, interfaceName);
        var clock = Stopwatch.StartNew();
        var wait = TimeSpan.FromSeconds(1);
        var nextReport = TimeSpan.FromSeconds(3);
        uint xid = (uint)Random.Shared.Next();
        while (clock.Elapsed < limit)
        {
            ushort seconds = (ushort)Math.Min(clock.Elapsed.TotalSeconds, ushort.MaxValue);
            Send(socket, DhcpMessage.Discover(mac, xid, seconds, hostName), IPAddress.Any);
            var offer = Await(socket, xid, [DhcpMessageType.Offer], wait, server: null);
            if (offer is not null && DhcpLease.FromReply(offer) is { } offered)
            {
                log.Debug($"dhcp: offer of {offered.Address} from {offered.Server}");
                Send(socket, DhcpMessage.Request(mac, xid, seconds, offered.Address, offered.Server, hostName), IPAddress.Any);
                // Only the server whose offer was taken may answer the request (RFC 2131 4.3.2, server identifier).
                var answer = Await(socket, xid, [DhcpMessageType.Ack, DhcpMessageType.Nak], TimeSpan.FromSeconds(4), offered.Server);
                if (answer?.Type == DhcpMessageType.Ack && DhcpLease.FromReply(answer) is { } lease) return lease;
                log.Warn(answer is null ? $"dhcp: no answer from {offered.Server} to the request for {offered.Address}; starting over"
                    : $"dhcp: {offered.Server} refused {offered.Address} (NAK); starting over");
                xid++;
                continue;
            }
            if (clock.Elapsed >= nextReport)
            {
                log.Say($"dhcp: waiting for an offer on {interfaceName} ({(limit - clock.Elapsed).TotalSeconds:0}s left)");
                nextReport = clock.Elapsed + TimeSpan.FromSeconds(5);
            }
            wait = TimeSpan.FromSeconds(Math.Min(wait.TotalSeconds * 2, 16));
        }
        throw new Boot.BootException($"no DHCP server answered on {interfaceName} within {limit.TotalSeconds:0}s",
            "that a DHCP server serves this network segment (and this MAC, if it has a list), or give a static ip=");
    }

    public static void Send(PacketSocket socket, DhcpMessage message, IPAddress source) =>
        socket.Broadcast(UdpFrame.Build(source, IPAddress.Broadcast, DhcpMessage.ClientPort, DhcpMessage.ServerPort, message.Encode()));

    private DhcpMessage? Await(PacketSocket socket, uint xid, DhcpMessageType[] types, TimeSpan timeout, System.Net.IPAddress? server)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            var packet = socket.Receive(timeout - clock.Elapsed);
            if (packet is null) return null;
            if (DhcpMessage.TryReadReply(packet, mac) is { } reply && reply.TransactionId == xid && reply.Type is { } type && types.Contains(type)
                && (server is null || server.Equals(reply.ServerIdentifier)))
            {
                return reply;
            }
        }
        return null;
    }

}
