using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace SmbRoot.Core.Dns;

/// <summary>
/// The small part of DNS (RFC 1035) the boot needs: a query for A records and the addresses in
/// the answer. Pure; <see cref="TryReadAddresses"/> accepts any byte string, follows compression
/// pointers only backwards and a bounded number of times, and says no to anything malformed.
/// </summary>
public static class DnsMessage
{
    private const byte TypeA = 1, ClassIn = 1;

    /// <summary>A standard query with recursion desired for the A records of <paramref name="name"/>.</summary>
    public static byte[] QueryA(ushort id, string name)
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
        message.AddRange([0, TypeA, 0, ClassIn]);
        return message.ToArray();
    }

    /// <summary>The outcome of reading an answer.</summary>
    public enum Status { Addresses, NoSuchName, ServerFailure, NotAnswer }

    /// <summary>
    /// Reads the reply to query <paramref name="id"/>: its A records (after any CNAME chain the
    /// server included). A reply with a different id or no response flag is <see cref="Status.NotAnswer"/>.
    /// </summary>
    public static (Status Status, IReadOnlyList<IPAddress> Addresses) TryReadAddresses(ReadOnlySpan<byte> reply, ushort id)
    {
        var none = Array.Empty<IPAddress>();
        if (reply.Length < 12 || BinaryPrimitives.ReadUInt16BigEndian(reply) != id || (reply[2] & 0x80) == 0) return (Status.NotAnswer, none);
        int rcode = reply[3] & 0x0F;
        if (rcode == 3) return (Status.NoSuchName, none);
        if (rcode != 0) return (Status.ServerFailure, none);
        int questions = BinaryPrimitives.ReadUInt16BigEndian(reply[4..]);
        int answers = BinaryPrimitives.ReadUInt16BigEndian(reply[6..]);
        int offset = 12;
        for (int q = 0; q < questions; q++)
        {
            if (!SkipName(reply, ref offset) || offset + 4 > reply.Length) return (Status.NotAnswer, none);
            offset += 4;
        }
        var addresses = new List<IPAddress>();
        for (int a = 0; a < answers; a++)
        {
            if (!SkipName(reply, ref offset) || offset + 10 > reply.Length) return (Status.NotAnswer, none);
            ushort type = BinaryPrimitives.ReadUInt16BigEndian(reply[offset..]);
            ushort @class = BinaryPrimitives.ReadUInt16BigEndian(reply[(offset + 2)..]);
            int length = BinaryPrimitives.ReadUInt16BigEndian(reply[(offset + 8)..]);
            offset += 10;
            if (offset + length > reply.Length) return (Status.NotAnswer, none);
            if (type == TypeA && @class == ClassIn && length == 4) addresses.Add(new IPAddress(reply.Slice(offset, 4)));
            offset += length;
        }
        return (Status.Addresses, addresses);
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
