using System.Buffers.Binary;
using SmbRoot.Lab;
using Xunit;

namespace SmbRoot.Tests.Cifs;

/// <summary>The lab's capture reader, on pcap files written here: what IntegrityTests judges the wire by.</summary>
public sealed class SmbCaptureTests
{
    private const int ServerPort = 445;

    [Fact]
    public void A_stream_whose_sequence_numbers_wrap_is_read_in_order()
    {
        // Three responses of 1,000 bytes each from a server whose sequence number passes 2^32 in the second.
        uint start = uint.MaxValue - 1_500;
        var pcap = new Pcap();
        for (ulong id = 1; id <= 3; id++) pcap.Add(ServerPort, 50_000, unchecked(start + (uint)(id - 1) * 1_000), Smb2(id, 1_000 - 4));

        var messages = SmbCapture.Read(pcap.Bytes(), ServerPort);

        Assert.Equal([1ul, 2ul, 3ul], messages.Select(m => m.MessageId));
        Assert.All(messages, m => Assert.True(m.FromServer && m.ClientPort == 50_000));
    }

    [Fact]
    public void Two_connections_are_two_streams_each_with_its_own_message_ids()
    {
        var pcap = new Pcap();
        // Interleaved segments of two connections, each a whole message.
        pcap.Add(50_000, ServerPort, 7_000, Smb2(5, 100));
        pcap.Add(50_001, ServerPort, 900, Smb2(5, 100));
        pcap.Add(50_000, ServerPort, 7_104, Smb2(6, 100));

        var messages = SmbCapture.Read(pcap.Bytes(), ServerPort);

        Assert.Equal([(50_000, 5ul), (50_000, 6ul), (50_001, 5ul)],
            messages.Select(m => (m.ClientPort, m.MessageId)).OrderBy(m => m.ClientPort).ThenBy(m => m.MessageId));
        Assert.All(messages, m => Assert.False(m.FromServer));
    }

    [Fact]
    public void A_retransmitted_segment_counts_once()
    {
        var pcap = new Pcap();
        var first = Smb2(1, 100);
        pcap.Add(ServerPort, 50_000, 10, first);
        pcap.Add(ServerPort, 50_000, 10, first);
        pcap.Add(ServerPort, 50_000, 114, Smb2(2, 100));

        Assert.Equal([1ul, 2ul], SmbCapture.Read(pcap.Bytes(), ServerPort).Select(m => m.MessageId));
    }

    /// <summary>A NetBIOS session header and an SMB2 header of <paramref name="length"/> bytes in all.</summary>
    private static byte[] Smb2(ulong messageId, int length)
    {
        var bytes = new byte[4 + length];
        bytes[1] = (byte)(length >> 16);
        bytes[2] = (byte)(length >> 8);
        bytes[3] = (byte)length;
        var header = bytes.AsSpan(4);
        header[0] = 0xFE;
        "SMB"u8.CopyTo(header[1..]);
        BinaryPrimitives.WriteUInt64LittleEndian(header[24..], messageId);
        return bytes;
    }

    /// <summary>A pcap file of IPv4 TCP segments in Ethernet frames (link type 1).</summary>
    private sealed class Pcap
    {
        private readonly List<byte[]> _frames = [];

        public void Add(int sourcePort, int destinationPort, uint sequence, byte[] payload)
        {
            var frame = new byte[14 + 20 + 20 + payload.Length];
            var ip = frame.AsSpan(14);
            ip[0] = 0x45;
            BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(20 + 20 + payload.Length));
            ip[9] = 6;
            var tcp = ip[20..];
            BinaryPrimitives.WriteUInt16BigEndian(tcp, (ushort)sourcePort);
            BinaryPrimitives.WriteUInt16BigEndian(tcp[2..], (ushort)destinationPort);
            BinaryPrimitives.WriteUInt32BigEndian(tcp[4..], sequence);
            tcp[12] = 5 << 4;
            payload.CopyTo(tcp[20..]);
            _frames.Add(frame);
        }

        public byte[] Bytes()
        {
            var global = new byte[24];
            BinaryPrimitives.WriteUInt32LittleEndian(global, 0xa1b2c3d4);
            BinaryPrimitives.WriteUInt32LittleEndian(global.AsSpan(20), 1);
            var file = new List<byte>(global);
            foreach (var frame in _frames)
            {
                var record = new byte[16];
                BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(8), (uint)frame.Length);
                BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(12), (uint)frame.Length);
                file.AddRange(record);
                file.AddRange(frame);
            }
            return [.. file];
        }
    }
}
