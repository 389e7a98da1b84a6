using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace SmbRoot.Core.Dhcp;

public enum DhcpMessageType : byte { Discover = 1, Offer = 2, Request = 3, Decline = 4, Ack = 5, Nak = 6, Release = 7 }

/// <summary>
/// A BOOTP/DHCP message (RFC 2131 section 2, options from RFC 2132). Encoding and decoding are
/// pure; <see cref="TryDecode"/> accepts any byte string and says no to anything malformed.
/// </summary>
public sealed record DhcpMessage(
    byte Operation,
    uint TransactionId,
    ushort Seconds,
    bool Broadcast,
    IPAddress ClientAddress,
    IPAddress YourAddress,
    IPAddress ServerAddress,
    byte[] HardwareAddress,
    IReadOnlyDictionary<byte, byte[]> Options)
{
    public const byte BootRequest = 1, BootReply = 2;
    public const int ClientPort = 68, ServerPort = 67;
    private const int FixedSize = 236;
    private const uint MagicCookie = 0x63825363;

    // RFC 2132 option codes.
    public const byte OptionSubnetMask = 1, OptionRouter = 3, OptionDnsServers = 6, OptionHostName = 12, OptionDomainName = 15,
        OptionRequestedAddress = 50, OptionLeaseTime = 51, OptionMessageType = 53, OptionServerId = 54,
        OptionParameterList = 55, OptionMaxMessageSize = 57, OptionRenewalTime = 58, OptionClientId = 61, OptionEnd = 255, OptionPad = 0;

    /// <summary>Option 54: which server sent this (RFC 2132 9.7); every OFFER, ACK and NAK carries it.</summary>
    public IPAddress? ServerIdentifier => Options.TryGetValue(OptionServerId, out var v) && v.Length == 4 ? new IPAddress(v) : null;

    public DhcpMessageType? Type => Options.TryGetValue(OptionMessageType, out var v) && v.Length == 1 ? (DhcpMessageType)v[0] : null;

    public byte[] Encode()
    {
        var options = new List<byte>();
        foreach (var (code, value) in Options.OrderBy(o => o.Key == OptionMessageType ? -1 : o.Key))
        {
            if (value.Length > 255) throw new ArgumentException($"DHCP option {code} is longer than 255 bytes");
            options.Add(code);
            options.Add((byte)value.Length);
            options.AddRange(value);
        }
        options.Add(OptionEnd);
        // BOOTP relays and old servers expect at least the 300-byte BOOTP size (RFC 1542 section 2.1).
        var message = new byte[Math.Max(300, FixedSize + 4 + options.Count)];
        message[0] = Operation;
        message[1] = 1; // htype: Ethernet
        message[2] = 6; // hlen
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(4), TransactionId);
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(8), Seconds);
        BinaryPrimitives.WriteUInt16BigEndian(message.AsSpan(10), (ushort)(Broadcast ? 0x8000 : 0));
        ClientAddress.GetAddressBytes().CopyTo(message, 12);
        YourAddress.GetAddressBytes().CopyTo(message, 16);
        ServerAddress.GetAddressBytes().CopyTo(message, 20);
        HardwareAddress.CopyTo(message, 28);
        BinaryPrimitives.WriteUInt32BigEndian(message.AsSpan(FixedSize), MagicCookie);
        options.CopyTo(message, FixedSize + 4);
        return message;
    }

    public static DhcpMessage? TryDecode(ReadOnlySpan<byte> data)
    {
        if (data.Length < FixedSize + 4) return null;
        if (data[1] != 1 || data[2] != 6) return null;
        if (BinaryPrimitives.ReadUInt32BigEndian(data[FixedSize..]) != MagicCookie) return null;
        var options = new Dictionary<byte, byte[]>();
        int i = FixedSize + 4;
        while (i < data.Length)
        {
            byte code = data[i++];
            if (code == OptionPad) continue;
            if (code == OptionEnd) break;
            if (i >= data.Length) return null;
            int length = data[i++];
            if (i + length > data.Length) return null;
            // RFC 3396: a repeated option is concatenated.
            options[code] = options.TryGetValue(code, out var earlier) ? [.. earlier, .. data.Slice(i, length)] : data.Slice(i, length).ToArray();
            i += length;
        }
        return new DhcpMessage(data[0], BinaryPrimitives.ReadUInt32BigEndian(data[4..]), BinaryPrimitives.ReadUInt16BigEndian(data[8..]),
            (BinaryPrimitives.ReadUInt16BigEndian(data[10..]) & 0x8000) != 0,
            new IPAddress(data.Slice(12, 4)), new IPAddress(data.Slice(16, 4)), new IPAddress(data.Slice(20, 4)),
            data.Slice(28, 6).ToArray(), options);
    }

    private static readonly byte[] WantedOptions =
        [OptionSubnetMask, OptionRouter, OptionDnsServers, OptionHostName, OptionDomainName, OptionLeaseTime, OptionRenewalTime];

    private static Dictionary<byte, byte[]> ClientOptions(DhcpMessageType type, byte[] mac, string? hostName)
    {
        var options = new Dictionary<byte, byte[]>
        {
            [OptionMessageType] = [(byte)type],
            [OptionClientId] = [1, .. mac],
            [OptionParameterList] = WantedOptions,
            [OptionMaxMessageSize] = [0x05, 0xDC], // 1500
        };
        if (hostName is not null) options[OptionHostName] = Encoding.ASCII.GetBytes(hostName);
        return options;
    }

    /// <summary>
    /// The DHCP reply for this client that an IPv4 packet carries: UDP from the server port (67)
    /// to the client port (68), BOOTREPLY, our hardware address. Null for anything else.
    /// </summary>
    public static DhcpMessage? TryReadReply(ReadOnlySpan<byte> packet, byte[] mac)
    {
        if (UdpFrame.TryParse(packet, ClientPort, fromPort: ServerPort) is not { } payload) return null;
        var reply = TryDecode(payload);
        return reply is not null && reply.Operation == BootReply && reply.HardwareAddress.AsSpan().SequenceEqual(mac) ? reply : null;
    }

    /// <summary>DHCPDISCOVER, broadcast, asking for a broadcast reply since the client has no address yet.</summary>
    public static DhcpMessage Discover(byte[] mac, uint transactionId, ushort seconds, string? hostName) =>
        new(BootRequest, transactionId, seconds, true, IPAddress.Any, IPAddress.Any, IPAddress.Any, mac,
            ClientOptions(DhcpMessageType.Discover, mac, hostName));

    /// <summary>DHCPREQUEST in the SELECTING state: the offered address and the chosen server (RFC 2131 4.3.2).</summary>
    public static DhcpMessage Request(byte[] mac, uint transactionId, ushort seconds, IPAddress offered, IPAddress server, string? hostName)
    {
        var options = ClientOptions(DhcpMessageType.Request, mac, hostName);
        options[OptionRequestedAddress] = offered.GetAddressBytes();
        options[OptionServerId] = server.GetAddressBytes();
        return new(BootRequest, transactionId, seconds, true, IPAddress.Any, IPAddress.Any, IPAddress.Any, mac, options);
    }

    /// <summary>DHCPREQUEST in the RENEWING state: ciaddr set, no server id or requested address (RFC 2131 4.3.2).</summary>
    public static DhcpMessage Renew(byte[] mac, uint transactionId, IPAddress current, string? hostName) =>
        new(BootRequest, transactionId, 0, false, current, IPAddress.Any, IPAddress.Any, mac, ClientOptions(DhcpMessageType.Request, mac, hostName));
}
