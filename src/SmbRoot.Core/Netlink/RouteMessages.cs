using System.Buffers.Binary;
using System.Net;

namespace SmbRoot.Core.Netlink;

/// <summary>
/// Encodes the rtnetlink requests the boot needs (rtnetlink(7), include/uapi/linux/rtnetlink.h,
/// if_addr.h, if_link.h) and decodes the kernel's acknowledgement. Pure byte work.
/// </summary>
public static class RouteMessages
{
    public const ushort NLMSG_ERROR = 2, RTM_NEWLINK = 16, RTM_NEWADDR = 20, RTM_DELADDR = 21, RTM_NEWROUTE = 24;
    public const ushort NLM_F_REQUEST = 1, NLM_F_ACK = 4, NLM_F_REPLACE = 0x100, NLM_F_EXCL = 0x200, NLM_F_CREATE = 0x400;
    private const ushort IFA_ADDRESS = 1, IFA_LOCAL = 2, IFA_BROADCAST = 4, IFA_FLAGS = 8;
    private const uint IFA_F_NODAD = 0x02, IFA_F_OPTIMISTIC = 0x04;

    /// <summary>How a new IPv6 address meets duplicate address detection (RFC 4862 5.4).</summary>
    public enum DuplicateCheck
    {
        /// <summary>Tentative for about a second, as the kernel does by default.</summary>
        Wait,

        /// <summary>RFC 4429: usable at once while the check runs (the interface's optimistic_dad must be on, net/ipv6/addrconf.c, ipv6_add_addr).</summary>
        Optimistic,

        /// <summary>IFA_F_NODAD: for an address this machine held a moment ago and puts back.</summary>
        Skip,
    }
    private const ushort RTA_DST = 1, RTA_OIF = 4, RTA_GATEWAY = 5;
    private const byte AF_INET = 2, AF_INET6 = 10, RT_TABLE_MAIN = 254, RTPROT_BOOT = 3, RT_SCOPE_UNIVERSE = 0, RT_SCOPE_LINK = 253, RTN_UNICAST = 1;
    public const uint IFF_UP = 1;
    public const int HeaderSize = 16;

    /// <summary>RTM_NEWLINK that sets or clears IFF_UP on interface <paramref name="index"/>.</summary>
    public static byte[] SetLinkUp(int index, bool up, uint sequence)
    {
        var body = new byte[16]; // struct ifinfomsg
        body[0] = 0; // AF_UNSPEC
        BinaryPrimitives.WriteInt32LittleEndian(body.AsSpan(4), index);
        BinaryPrimitives.WriteUInt32LittleEndian(body.AsSpan(8), up ? IFF_UP : 0);
        BinaryPrimitives.WriteUInt32LittleEndian(body.AsSpan(12), IFF_UP); // ifi_change: only IFF_UP
        return Message(RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK, sequence, body, []);
    }

    /// <summary>
    /// RTM_NEWADDR for a permanent address: with no IFA_CACHEINFO the kernel gives it an infinite
    /// lifetime (net/ipv4/devinet.c, inet_rtm_newaddr; net/ipv6/addrconf.c, inet6_rtm_newaddr), so
    /// it never expires under the root.
    /// </summary>
    /// <param name="exclusive">NLM_F_EXCL instead of NLM_F_REPLACE: EEXIST when the address is already there, which tells a watcher nothing was missing</param>
    /// <param name="check">IPv6 only: how the address meets duplicate address detection</param>
    public static byte[] AddAddress(int index, IPAddress address, int prefixLength, uint sequence, bool exclusive = false, DuplicateCheck check = DuplicateCheck.Wait) =>
        Address(RTM_NEWADDR, (ushort)(NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | (exclusive ? NLM_F_EXCL : NLM_F_REPLACE)), index, address, prefixLength, sequence, check);

    /// <summary>RTM_DELADDR: the undo of <see cref="AddAddress"/>.</summary>
    public static byte[] DeleteAddress(int index, IPAddress address, int prefixLength, uint sequence) =>
        Address(RTM_DELADDR, NLM_F_REQUEST | NLM_F_ACK, index, address, prefixLength, sequence);

    private static byte[] Address(ushort type, ushort flags, int index, IPAddress address, int prefixLength, uint sequence, DuplicateCheck check = DuplicateCheck.Wait)
    {
        var body = new byte[8]; // struct ifaddrmsg
        body[0] = Family(address);
        body[1] = (byte)prefixLength;
        body[3] = RT_SCOPE_UNIVERSE;
        BinaryPrimitives.WriteInt32LittleEndian(body.AsSpan(4), index);
        var bytes = address.GetAddressBytes();
        if (bytes.Length == 16)
        {
            var addressFlags = new byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(addressFlags, check switch { DuplicateCheck.Skip => IFA_F_NODAD, DuplicateCheck.Optimistic => IFA_F_OPTIMISTIC, _ => 0u });
            return Message(type, flags, sequence, body, [(IFA_LOCAL, bytes), (IFA_ADDRESS, bytes), (IFA_FLAGS, addressFlags)]);
        }
        uint mask = prefixLength == 0 ? 0 : uint.MaxValue << (32 - prefixLength);
        uint broadcast = (uint)(bytes[0] << 24 | bytes[1] << 16 | bytes[2] << 8 | bytes[3]) | ~mask;
        var broadcastBytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(broadcastBytes, broadcast);
        return Message(type, flags, sequence, body,
            [(IFA_LOCAL, bytes), (IFA_ADDRESS, bytes), (IFA_BROADCAST, broadcastBytes)]);
    }

    /// <summary>RTM_NEWROUTE: a default route via <paramref name="gateway"/> (or an on-link host route when <paramref name="destination"/> is given).</summary>
    public static byte[] AddRoute(int index, IPAddress? gateway, IPAddress? destination, int destinationPrefix, uint sequence, bool exclusive = false)
    {
        var body = new byte[12]; // struct rtmsg
        body[0] = Family(gateway ?? destination ?? IPAddress.Any);
        body[1] = (byte)(destination is null ? 0 : destinationPrefix);
        body[4] = RT_TABLE_MAIN;
        body[5] = RTPROT_BOOT;
        body[6] = gateway is null ? RT_SCOPE_LINK : RT_SCOPE_UNIVERSE;
        body[7] = RTN_UNICAST;
        var attributes = new List<(ushort, byte[])>();
        if (destination is not null) attributes.Add((RTA_DST, destination.GetAddressBytes()));
        if (gateway is not null) attributes.Add((RTA_GATEWAY, gateway.GetAddressBytes()));
        var oif = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(oif, index);
        attributes.Add((RTA_OIF, oif));
        return Message(RTM_NEWROUTE, (ushort)(NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | (exclusive ? NLM_F_EXCL : NLM_F_REPLACE)), sequence, body, attributes);
    }

    private static byte Family(IPAddress address) => address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? AF_INET6 : AF_INET;

    private static byte[] Message(ushort type, ushort flags, uint sequence, byte[] body, IReadOnlyList<(ushort Type, byte[] Data)> attributes)
    {
        int length = HeaderSize + Align(body.Length) + attributes.Sum(a => Align(4 + a.Data.Length));
        var message = new byte[length];
        var span = message.AsSpan();
        BinaryPrimitives.WriteUInt32LittleEndian(span, (uint)length);
        BinaryPrimitives.WriteUInt16LittleEndian(span[4..], type);
        BinaryPrimitives.WriteUInt16LittleEndian(span[6..], flags);
        BinaryPrimitives.WriteUInt32LittleEndian(span[8..], sequence);
        body.CopyTo(span[HeaderSize..]);
        int offset = HeaderSize + Align(body.Length);
        foreach (var (attributeType, data) in attributes)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(span[offset..], (ushort)(4 + data.Length));
            BinaryPrimitives.WriteUInt16LittleEndian(span[(offset + 2)..], attributeType);
            data.CopyTo(span[(offset + 4)..]);
            offset += Align(4 + data.Length);
        }
        return message;
    }

    private static int Align(int length) => (length + 3) & ~3;

    /// <summary>
    /// Finds the acknowledgement for <paramref name="sequence"/> in a datagram from the kernel:
    /// 0 for success, a positive errno for failure, null when the datagram holds no answer to it.
    /// Malformed input yields null, never an exception.
    /// </summary>
    public static int? ReadAck(ReadOnlySpan<byte> datagram, uint sequence)
    {
        int offset = 0;
        while (offset + HeaderSize <= datagram.Length)
        {
            uint length = BinaryPrimitives.ReadUInt32LittleEndian(datagram[offset..]);
            if (length < HeaderSize || length > datagram.Length - offset) return null;
            ushort type = BinaryPrimitives.ReadUInt16LittleEndian(datagram[(offset + 4)..]);
            uint messageSequence = BinaryPrimitives.ReadUInt32LittleEndian(datagram[(offset + 8)..]);
            if (type == NLMSG_ERROR && messageSequence == sequence && length >= HeaderSize + 4)
            {
                return -BinaryPrimitives.ReadInt32LittleEndian(datagram[(offset + HeaderSize)..]);
            }
            offset += Align((int)length);
        }
        return null;
    }
}
