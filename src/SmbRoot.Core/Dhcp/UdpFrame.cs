using System.Buffers.Binary;
using System.Net;

namespace SmbRoot.Core.Dhcp;

/// <summary>
/// IPv4 + UDP headers around a payload, for a packet socket (packet(7), SOCK_DGRAM): before the
/// interface has an address the kernel's UDP stack cannot be used to receive the server's reply,
/// so the client frames and checks its own datagrams (RFC 791, RFC 768).
/// </summary>
public static class UdpFrame
{
    private const int IpHeader = 20, UdpHeader = 8;

    public static byte[] Build(IPAddress source, IPAddress destination, int sourcePort, int destinationPort, ReadOnlySpan<byte> payload)
    {
        var packet = new byte[IpHeader + UdpHeader + payload.Length];
        var ip = packet.AsSpan(0, IpHeader);
        ip[0] = 0x45; // version 4, 5 words
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)packet.Length);
        ip[8] = 64; // TTL
        ip[9] = 17; // UDP
        source.GetAddressBytes().CopyTo(ip[12..]);
        destination.GetAddressBytes().CopyTo(ip[16..]);
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], Checksum(ip, 0));
        var udp = packet.AsSpan(IpHeader);
        BinaryPrimitives.WriteUInt16BigEndian(udp, (ushort)sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(udp[2..], (ushort)destinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(udp[4..], (ushort)(UdpHeader + payload.Length));
        payload.CopyTo(udp[UdpHeader..]);
        ushort checksum = Checksum(udp, PseudoHeaderSum(source, destination, udp.Length));
        BinaryPrimitives.WriteUInt16BigEndian(udp[6..], checksum == 0 ? (ushort)0xFFFF : checksum);
        return packet;
    }

    /// <summary>
    /// The UDP payload for <paramref name="port"/> (sent from <paramref name="fromPort"/>, when
    /// given), or null for anything else or anything malformed.
    /// </summary>
    public static byte[]? TryParse(ReadOnlySpan<byte> packet, int port, int? fromPort = null)
    {
        if (packet.Length < IpHeader + UdpHeader || packet[0] >> 4 != 4) return null;
        int headerLength = (packet[0] & 0x0F) * 4;
        int totalLength = BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);
        if (headerLength < IpHeader || totalLength < headerLength + UdpHeader || totalLength > packet.Length) return null;
        if (packet[9] != 17) return null;
        if ((BinaryPrimitives.ReadUInt16BigEndian(packet[6..]) & 0x3FFF) != 0) return null; // a fragment
        if (Checksum(packet[..headerLength], 0) != 0) return null;
        var udp = packet[headerLength..totalLength];
        int udpLength = BinaryPrimitives.ReadUInt16BigEndian(udp[4..]);
        if (BinaryPrimitives.ReadUInt16BigEndian(udp[2..]) != port || udpLength < UdpHeader || udpLength > udp.Length) return null;
        if (fromPort is { } sender && BinaryPrimitives.ReadUInt16BigEndian(udp) != sender) return null;
        udp = udp[..udpLength];
        if (BinaryPrimitives.ReadUInt16BigEndian(udp[6..]) != 0)
        {
            var source = new IPAddress(packet.Slice(12, 4));
            var destination = new IPAddress(packet.Slice(16, 4));
            if (Checksum(udp, PseudoHeaderSum(source, destination, udp.Length)) != 0) return null;
        }
        return udp[UdpHeader..].ToArray();
    }

    private static uint PseudoHeaderSum(IPAddress source, IPAddress destination, int udpLength)
    {
        uint sum = 0;
        var s = source.GetAddressBytes();
        var d = destination.GetAddressBytes();
        sum += (uint)(s[0] << 8 | s[1]) + (uint)(s[2] << 8 | s[3]) + (uint)(d[0] << 8 | d[1]) + (uint)(d[2] << 8 | d[3]);
        return sum + 17 + (uint)udpLength;
    }

    /// <summary>The Internet checksum (RFC 1071) of <paramref name="data"/>, starting from <paramref name="sum"/>.</summary>
    public static ushort Checksum(ReadOnlySpan<byte> data, uint sum)
    {
        int i = 0;
        for (; i + 1 < data.Length; i += 2) sum += (uint)(data[i] << 8 | data[i + 1]);
        if (i < data.Length) sum += (uint)(data[i] << 8);
        while (sum >> 16 != 0) sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)~sum;
    }
}
