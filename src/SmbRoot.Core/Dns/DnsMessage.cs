using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace SmbRoot.Core.Dns;

/// <summary>
/// The small part of DNS (RFC 1035) the boot needs: a query for A or AAAA records (RFC 3596) and
/// the addresses in the answer. Pure; <see cref="TryReadAddresses"/> accepts any byte string, follows compression
/// pointers only backwards and a bounded number of times, and says no to anything malformed.
/// </summary>
public static class DnsMessage
{
    private const byte ClassIn = 1;

    /// <summary>The record types asked for: an IPv4 or an IPv6 address.</summary>
    public enum RecordType : byte { A = 1, Aaaa = 28 }

    /// <summary>A name a query can carry: labels of 1 to 63 bytes, 253 at most in all (RFC 1035 2.3.4).</summary>
    public static bool IsName(string name) =>
        name.TrimEnd('.') is { Length: > 0 and <= 253 } trimmed && trimmed.All(char.IsAscii) && trimmed.Split('.').All(label => label.Length is > 0 and <= 63);

    /// <summary>A standard query with recursion desired for the <paramref name="type"/> records of <paramref name="name"/>.</summary>
    public static byte[] Query(ushort id, string name, RecordType type)
    {
        var message = new List<byte>(12 + name.Length + 6);
        Span<byte> header = stackalloc byte[12];
        BinaryPrimitives.WriteUInt16BigEndian(header, id);
        header[2] = 0x01; // RD
        BinaryPrimitives.WriteUInt16BigEndian(header[4..], 1); // QDCOUNT
        message.AddRange(header.ToArray());
        foreach (var label in name.TrimEnd('.').Split('.'))
        {
            var bytes = Encoding.ASCII.GetBytes(label);
            if (bytes.Length is 0 or > 63) throw new ArgumentException($"'{name}' is not a valid DNS name");
            message.Add((byte)bytes.Length);
            message.AddRange(bytes);
        }
        message.Add(0);
        message.AddRange([0, (byte)type, 0, ClassIn]);
        return message.ToArray();
    }

    /// <summary>The outcome of reading an answer.</summary>
    public enum Status { Addresses, NoSuchName, ServerFailure, NotAnswer, UnusableAddresses }

    /// <summary>
    /// Reads the reply to the query for <paramref name="name"/>'s <paramref name="type"/> records
    /// with <paramref name="id"/>: its addresses (after any CNAME chain the server included). A reply with a different id, no
    /// response flag or another question is <see cref="Status.NotAnswer"/>. Addresses that cannot
    /// be a file server (unspecified, loopback, broadcast, multicast, IPv6 link-local, which has no
    /// interface in DNS) are dropped; when nothing else
    /// is left the status is <see cref="Status.UnusableAddresses"/>.
    /// </summary>
    public static (Status Status, IReadOnlyList<IPAddress> Addresses) TryReadAddresses(ReadOnlySpan<byte> reply, ushort id, string name, RecordType type)
    {
        var none = Array.Empty<IPAddress>();
        if (reply.Length < 12 || BinaryPrimitives.ReadUInt16BigEndian(reply) != id || (reply[2] & 0x80) == 0) return (Status.NotAnswer, none);
        int questions = BinaryPrimitives.ReadUInt16BigEndian(reply[4..]);
        int answers = BinaryPrimitives.ReadUInt16BigEndian(reply[6..]);
        int offset = 12;
        // The one question must be ours (RFC 5452, 9.1: match the id and the question), or the answer is for something else.
        if (questions != 1 || !QuestionIs(reply, ref offset, name, type)) return (Status.NotAnswer, none);
        int rcode = reply[3] & 0x0F;
        if (rcode == 3) return (Status.NoSuchName, none);
        if (rcode != 0) return (Status.ServerFailure, none);
        var addresses = new List<IPAddress>();
        for (int a = 0; a < answers; a++)
        {
            if (!SkipName(reply, ref offset) || offset + 10 > reply.Length) return (Status.NotAnswer, none);
            ushort answerType = BinaryPrimitives.ReadUInt16BigEndian(reply[offset..]);
            ushort @class = BinaryPrimitives.ReadUInt16BigEndian(reply[(offset + 2)..]);
            int length = BinaryPrimitives.ReadUInt16BigEndian(reply[(offset + 8)..]);
            offset += 10;
            if (offset + length > reply.Length) return (Status.NotAnswer, none);
            int size = type == RecordType.A ? 4 : 16;
            if (answerType == (ushort)type && @class == ClassIn && length == size) addresses.Add(new IPAddress(reply.Slice(offset, size)));
            offset += length;
        }
        var usable = addresses.Where(IsUsable).ToList();
        return usable.Count == 0 && addresses.Count > 0 ? (Status.UnusableAddresses, addresses) : (Status.Addresses, usable);
    }

    /// <summary>
    /// An address a file server can have: not 0.0.0.0/8, loopback, multicast or broadcast; for
    /// IPv6 not ::, ::1, multicast, link-local (DNS cannot say which interface) or an IPv4-mapped address.
    /// </summary>
    public static bool IsUsable(IPAddress address)
    {
        var b = address.GetAddressBytes();
        if (b.Length == 16)
        {
            return !address.Equals(IPAddress.IPv6Any) && !address.Equals(IPAddress.IPv6Loopback) && b[0] != 0xFF
                && !address.IsIPv6LinkLocal && !address.IsIPv4MappedToIPv6;
        }
        return b[0] is not (0 or 127) && b[0] < 224;
    }

    /// <summary>The question at <paramref name="offset"/> is an uncompressed <paramref name="name"/>, <paramref name="type"/>, class IN.</summary>
    private static bool QuestionIs(ReadOnlySpan<byte> message, ref int offset, string name, RecordType type)
    {
        var labels = new List<string>();
        while (true)
        {
            if (offset >= message.Length) return false;
            byte length = message[offset++];
            if (length == 0) break;
            if ((length & 0xC0) != 0 || offset + length > message.Length) return false;
            labels.Add(Encoding.ASCII.GetString(message.Slice(offset, length)));
            offset += length;
        }
        if (offset + 4 > message.Length) return false;
        bool same = string.Equals(string.Join('.', labels), name.TrimEnd('.'), StringComparison.OrdinalIgnoreCase)
            && BinaryPrimitives.ReadUInt16BigEndian(message[offset..]) == (ushort)type && BinaryPrimitives.ReadUInt16BigEndian(message[(offset + 2)..]) == ClassIn;
        offset += 4;
        return same;
    }

    /// <summary>Moves past a (possibly compressed) name; false when it runs off the end or is malformed.</summary>
    private static bool SkipName(ReadOnlySpan<byte> message, ref int offset)
    {
        while (true)
        {
            if (offset >= message.Length) return false;
            byte length = message[offset];
            if (length == 0)
            {
                offset++;
                return true;
            }
            if ((length & 0xC0) == 0xC0)
            {
                // A pointer ends the name here; where it points does not matter for skipping.
                if (offset + 2 > message.Length) return false;
                offset += 2;
                return true;
            }
            if ((length & 0xC0) != 0) return false;
            offset += 1 + length;
        }
    }
}
