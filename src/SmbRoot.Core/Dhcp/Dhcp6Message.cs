using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace SmbRoot.Core.Dhcp;

public enum Dhcp6MessageType : byte { Solicit = 1, Advertise = 2, Request = 3, Renew = 5, Rebind = 6, Reply = 7, InformationRequest = 11 }

/// <summary>
/// The part of DHCPv6 (RFC 8415) the boot needs: a client asks for one address (IA_NA) and the
/// DNS servers, with its MAC as its identity (DUID-LL), and reads the server's answer. Pure;
/// <see cref="TryRead"/> accepts any byte string and says no to anything malformed.
/// </summary>
public sealed record Dhcp6Message(
    Dhcp6MessageType Type,
    uint TransactionId,
    byte[]? ClientId,
    byte[]? ServerId,
    Dhcp6Message.AddressAssociation? Association,
    ushort? Status,
    IReadOnlyList<IPAddress> DnsServers,
    IReadOnlyList<string> Domains,
    bool RapidCommit)
{
    public const int ClientPort = 546, ServerPort = 547;

    /// <summary>All_DHCP_Relay_Agents_and_Servers (RFC 8415 7.1): where a client sends on its link.</summary>
    public static readonly IPAddress AllServers = IPAddress.Parse("ff02::1:2");

    private const ushort OptionClientId = 1, OptionServerId = 2, OptionIaNa = 3, OptionIaAddress = 5, OptionRequest = 6,
        OptionElapsedTime = 8, OptionStatusCode = 13, OptionRapidCommit = 14, OptionDnsServers = 23, OptionDomainList = 24;

    /// <summary>Status code 0 (RFC 8415 21.13): anything else in a reply or its IA_NA means no address.</summary>
    public const ushort Success = 0;

    /// <summary>One address the server gives, with its lifetimes (RFC 8415 21.6).</summary>
    public sealed record LeasedAddress(IPAddress Address, uint PreferredLifetime, uint ValidLifetime);

    /// <summary>An identity association for non-temporary addresses (RFC 8415 21.4): T1, T2, the address and the status.</summary>
    public sealed record AddressAssociation(uint Id, uint T1, uint T2, LeasedAddress? Address, ushort? Status);

    /// <summary>DUID-LL (RFC 8415 11.4): type 3, hardware type 1 (Ethernet), the MAC. The same on every boot, with no state to keep.</summary>
    public static byte[] ClientIdentity(byte[] mac) => [0, 3, 0, 1, .. mac];

    /// <summary>The IAID: the MAC's last four bytes, stable across boots as RFC 8415 12 asks.</summary>
    public static uint AssociationId(byte[] mac) => BinaryPrimitives.ReadUInt32BigEndian(mac.AsSpan(mac.Length - 4));

    /// <summary>SOLICIT with Rapid Commit (RFC 8415 18.2.1): a server that allows it answers with a REPLY at once.</summary>
    public static byte[] Solicit(byte[] mac, uint transactionId, TimeSpan elapsed) =>
        Encode(Dhcp6MessageType.Solicit, transactionId, mac, elapsed, serverId: null, address: null, rapidCommit: true);

    /// <summary>REQUEST for the address an ADVERTISE offered, to the server that offered it.</summary>
    public static byte[] Request(byte[] mac, uint transactionId, TimeSpan elapsed, byte[] serverId, IPAddress address) =>
        Encode(Dhcp6MessageType.Request, transactionId, mac, elapsed, serverId, address, rapidCommit: false);

    /// <summary>RENEW (to the lease's server) or REBIND (to any, <paramref name="serverId"/> null) of the address held.</summary>
    public static byte[] Renew(byte[] mac, uint transactionId, TimeSpan elapsed, byte[]? serverId, IPAddress address) =>
        Encode(serverId is null ? Dhcp6MessageType.Rebind : Dhcp6MessageType.Renew, transactionId, mac, elapsed, serverId, address, rapidCommit: false);

    /// <summary>INFORMATION-REQUEST (RFC 8415 18.2.6): DNS servers and domain only, for a machine whose address came from SLAAC.</summary>
    public static byte[] InformationRequest(byte[] mac, uint transactionId, TimeSpan elapsed) =>
        Encode(Dhcp6MessageType.InformationRequest, transactionId, mac, elapsed, serverId: null, address: null, rapidCommit: false);

    private static byte[] Encode(Dhcp6MessageType type, uint transactionId, byte[] mac, TimeSpan elapsed, byte[]? serverId, IPAddress? address, bool rapidCommit)
    {
        var message = new List<byte> { (byte)type, (byte)(transactionId >> 16), (byte)(transactionId >> 8), (byte)transactionId };
        Option(message, OptionClientId, ClientIdentity(mac));
        if (serverId is not null) Option(message, OptionServerId, serverId);
        if (type != Dhcp6MessageType.InformationRequest)
        {
            var association = new byte[12];
            BinaryPrimitives.WriteUInt32BigEndian(association, AssociationId(mac));
            var associationBody = new List<byte>(association);
            if (address is not null) Option(associationBody, OptionIaAddress, [.. address.GetAddressBytes(), 0, 0, 0, 0, 0, 0, 0, 0]);
            Option(message, OptionIaNa, [.. associationBody]);
        }
        Option(message, OptionRequest, [0, (byte)OptionDnsServers, 0, (byte)OptionDomainList]);
        // Hundredths of a second, at most 0xffff (RFC 8415 21.9).
        ushort hundredths = (ushort)Math.Min(elapsed.TotalMilliseconds / 10, ushort.MaxValue);
        Option(message, OptionElapsedTime, [(byte)(hundredths >> 8), (byte)hundredths]);
        if (rapidCommit) Option(message, OptionRapidCommit, []);
        return [.. message];
    }

    private static void Option(List<byte> message, ushort code, byte[] data)
    {
        message.AddRange([(byte)(code >> 8), (byte)code, (byte)(data.Length >> 8), (byte)data.Length]);
        message.AddRange(data);
    }

    /// <summary>
    /// A server's ADVERTISE or REPLY for the client with <paramref name="mac"/>, or null: another
    /// client's, a client's message, or malformed (an option running past its end, an IA_NA or
    /// address too short). Unknown options are skipped.
    /// </summary>
    public static Dhcp6Message? TryRead(ReadOnlySpan<byte> packet, byte[] mac)
    {
        if (packet.Length < 4 || packet[0] is not ((byte)Dhcp6MessageType.Advertise or (byte)Dhcp6MessageType.Reply)) return null;
        var type = (Dhcp6MessageType)packet[0];
        uint transactionId = (uint)(packet[1] << 16 | packet[2] << 8 | packet[3]);
        if (Options(packet[4..]) is not { } options) return null;
        byte[]? clientId = null, serverId = null;
        AddressAssociation? association = null;
        ushort? status = null;
        var dns = new List<IPAddress>();
        var domains = new List<string>();
        bool rapidCommit = false;
        uint wanted = AssociationId(mac);
        foreach (var (code, data) in options)
        {
            switch (code)
            {
                case OptionClientId: clientId = data; break;
                case OptionServerId: serverId = data; break;
                case OptionStatusCode: status = data.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(data) : null; break;
                case OptionRapidCommit: rapidCommit = true; break;
                case OptionDnsServers:
                    for (int i = 0; i + 16 <= data.Length; i += 16) dns.Add(new IPAddress(data.AsSpan(i, 16)));
                    break;
                case OptionDomainList:
                    domains.AddRange(Names(data));
                    break;
                case OptionIaNa:
                    if (data.Length < 12) return null;
                    if (BinaryPrimitives.ReadUInt32BigEndian(data) != wanted) break;
                    association = ReadAssociation(data);
                    if (association is null) return null;
                    break;
            }
        }
        if (clientId is null || !clientId.AsSpan().SequenceEqual(ClientIdentity(mac)) || serverId is null || serverId.Length is 0 or > 130) return null;
        return new Dhcp6Message(type, transactionId, clientId, serverId, association, status, dns, domains, rapidCommit);
    }

    private static AddressAssociation? ReadAssociation(byte[] data)
    {
        uint id = BinaryPrimitives.ReadUInt32BigEndian(data);
        uint t1 = BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(4));
        uint t2 = BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(8));
        if (Options(data.AsSpan(12)) is not { } inner) return null;
        LeasedAddress? address = null;
        ushort? status = null;
        foreach (var (code, value) in inner)
        {
            if (code == OptionStatusCode && value.Length >= 2) status = BinaryPrimitives.ReadUInt16BigEndian(value);
            if (code != OptionIaAddress) continue;
            if (value.Length < 24) return null;
            // The first address is the one taken; a server gives one per IA_NA unless asked for more.
            address ??= new LeasedAddress(new IPAddress(value.AsSpan(0, 16)), BinaryPrimitives.ReadUInt32BigEndian(value.AsSpan(16)),
                BinaryPrimitives.ReadUInt32BigEndian(value.AsSpan(20)));
        }
        return new AddressAssociation(id, t1, t2, address, status);
    }

    /// <summary>The options in <paramref name="data"/>, or null when one runs past the end.</summary>
    private static List<(ushort Code, byte[] Data)>? Options(ReadOnlySpan<byte> data)
    {
        var options = new List<(ushort, byte[])>();
        int offset = 0;
        while (offset < data.Length)
        {
            if (offset + 4 > data.Length) return null;
            ushort code = BinaryPrimitives.ReadUInt16BigEndian(data[offset..]);
            int length = BinaryPrimitives.ReadUInt16BigEndian(data[(offset + 2)..]);
            if (offset + 4 + length > data.Length) return null;
            options.Add((code, data.Slice(offset + 4, length).ToArray()));
            offset += 4 + length;
        }
        return options;
    }

    /// <summary>Domain names in DNS wire form without compression (RFC 8415 10); a malformed name ends the list.</summary>
    private static IEnumerable<string> Names(byte[] data)
    {
        var names = new List<string>();
        var labels = new List<string>();
        int offset = 0;
        while (offset < data.Length)
        {
            int length = data[offset++];
            if (length == 0)
            {
                if (labels.Count > 0) names.Add(string.Join('.', labels));
                labels.Clear();
                continue;
            }
            if (length > 63 || offset + length > data.Length) break;
            labels.Add(Encoding.ASCII.GetString(data, offset, length));
            offset += length;
        }
        return names;
    }
}
