using System.Buffers.Binary;
using System.Diagnostics;

namespace SmbRoot.Lab;

/// <summary>
/// A packet capture of the SMB port (tcpdump), read back as SMB2 messages: the TCP streams are
/// put back together, split at the NetBIOS session headers (4 bytes: zero, 24-bit length, RFC
/// 1002), and each message is told apart as plain SMB2 (0xFE 'SMB'), encrypted (the transform
/// header, 0xFD 'SMB') or SMB1 (0xFF 'SMB'), with its command, status and flags ([MS-SMB2] 2.2.1).
/// </summary>
public sealed class SmbCapture : IDisposable
{
    private readonly Process _tcpdump;
    private readonly string _file;
    private readonly int _port;

    public SmbCapture(string directory, int port, string networkInterface = "lo")
    {
        _port = port;
        _file = Path.Combine(directory, $"smb-{Guid.NewGuid():N}.pcap");
        string tcpdump = Shell.Require("tcpdump", "tcpdump");
        // -U: every packet is written as it comes, so the file is whole when tcpdump is stopped.
        var info = new ProcessStartInfo(tcpdump, ["-i", networkInterface, "-U", "-s", "0", "-w", _file, $"tcp port {port}"])
            { RedirectStandardError = true, RedirectStandardOutput = true };
        _tcpdump = Process.Start(info) ?? throw new InvalidOperationException("cannot start tcpdump");
        // tcpdump says "listening on ..." once its filter is in place.
        string? line;
        while ((line = _tcpdump.StandardError.ReadLine()) is not null && !line.Contains("listening on")) { }
        if (line is null) throw new InvalidOperationException($"tcpdump exited with {_tcpdump.ExitCode} before it listened");
        _tcpdump.StandardError.ReadToEndAsync();
    }

    public enum Kind { Smb2, Encrypted, Smb1 }

    /// <summary>
    /// One SMB message as it crossed the wire. <see cref="FromServer"/>: a response or a notification.
    /// <see cref="ClientPort"/> tells the TCP connections apart (message ids count per connection).
    /// </summary>
    public sealed record Message(int ClientPort, bool FromServer, Kind Kind, ushort Command, uint Status, uint Flags, ulong MessageId)
    {
        public const ushort Negotiate = 0, SessionSetup = 1, Logoff = 2;
        public const uint FlagResponse = 0x1, FlagAsync = 0x2, FlagSigned = 0x8;
        public const uint StatusPending = 0x103;

        public bool Signed => (Flags & FlagSigned) != 0;

        /// <summary>
        /// "Still working on it" for an asynchronous request: STATUS_PENDING, no payload. The client
        /// does not verify a signature on it ([MS-SMB2] 3.2.5.1.3), and servers do not sign it;
        /// the final response for the same MessageId carries the data, and that one is signed.
        /// </summary>
        public bool Interim => FromServer && Status == StatusPending && (Flags & FlagAsync) != 0;
    }

    /// <summary>
    /// What follows the session setup, in each direction of each connection: the leading NEGOTIATE
    /// and SESSION_SETUP messages are dropped (the session has no keys before they end), everything
    /// after them is kept, in the order it crossed the wire.
    /// </summary>
    public static IReadOnlyList<Message> AfterSessionSetup(IReadOnlyList<Message> messages) =>
        [.. messages.GroupBy(m => (m.ClientPort, m.FromServer)).SelectMany(direction => direction.SkipWhile(IsSetup))];

    private static bool IsSetup(Message m) => m.Kind == Kind.Smb1 || (m.Kind == Kind.Smb2 && m.Command is Message.Negotiate or Message.SessionSetup);

    /// <summary>Stops the capture and reads it.</summary>
    public IReadOnlyList<Message> Stop()
    {
        if (!_tcpdump.HasExited)
        {
            Shell.Run("kill", ["-INT", _tcpdump.Id.ToString()], null, allowFailure: true);
            _tcpdump.WaitForExit(10_000);
        }
        return Read(File.ReadAllBytes(_file), _port);
    }

    /// <summary>The SMB messages of a pcap file (Ethernet or Linux "cooked" framing, IPv4, TCP).</summary>
    public static IReadOnlyList<Message> Read(byte[] pcap, int serverPort)
    {
        uint linkType = BinaryPrimitives.ReadUInt32LittleEndian(pcap.AsSpan(20));
        int linkHeader = linkType switch { 1 => 14, 113 => 16, _ => throw new InvalidDataException($"pcap link type {linkType} is not Ethernet or Linux cooked") };
        var streams = new Dictionary<(int ClientPort, bool FromServer), Stream>();
        for (int offset = 24; offset + 16 <= pcap.Length;)
        {
            int captured = (int)BinaryPrimitives.ReadUInt32LittleEndian(pcap.AsSpan(offset + 8));
            var frame = pcap.AsSpan(offset + 16, Math.Min(captured, pcap.Length - offset - 16));
            offset += 16 + captured;
            if (frame.Length < linkHeader + 20) continue;
            var ip = frame[linkHeader..];
            if (ip[0] >> 4 != 4 || ip[9] != 6) continue;
            int ipHeader = (ip[0] & 0x0F) * 4;
            int total = BinaryPrimitives.ReadUInt16BigEndian(ip[2..]);
            var tcp = ip[ipHeader..Math.Min(total, ip.Length)];
            int sourcePort = BinaryPrimitives.ReadUInt16BigEndian(tcp), destinationPort = BinaryPrimitives.ReadUInt16BigEndian(tcp[2..]);
            uint sequence = BinaryPrimitives.ReadUInt32BigEndian(tcp[4..]);
            var payload = tcp[((tcp[12] >> 4) * 4)..];
            if (payload.Length == 0) continue;
            bool fromServer = sourcePort == serverPort;
            var key = (fromServer ? destinationPort : sourcePort, fromServer);
            if (!streams.TryGetValue(key, out var stream)) streams[key] = stream = new Stream(sequence);
            stream.Add(sequence, payload.ToArray());
        }
        var messages = new List<Message>();
        foreach (var ((clientPort, fromServer), stream) in streams) messages.AddRange(Split(stream.Join(), clientPort, fromServer));
        return messages;
    }

    /// <summary>
    /// One direction of one TCP connection. Segments are ordered by their offset from the first one
    /// captured, not by their sequence number: that wraps past 2^32 (RFC 9293 3.4), and a boot's
    /// reads are a sizeable part of 4 GiB.
    /// </summary>
    private sealed class Stream(uint first)
    {
        private readonly SortedDictionary<uint, byte[]> _segments = new();

        public void Add(uint sequence, byte[] payload) => _segments.TryAdd(unchecked(sequence - first), payload);

        /// <summary>The bytes in order; retransmitted and overlapping segments count once.</summary>
        public byte[] Join()
        {
            var bytes = new List<byte>();
            long next = 0;
            foreach (var (offset, data) in _segments)
            {
                long skip = next - offset;
                if (skip >= data.Length) continue;
                bytes.AddRange(data.Skip((int)Math.Max(0, skip)));
                next = offset + data.Length;
            }
            return bytes.ToArray();
        }
    }

    private static IEnumerable<Message> Split(byte[] stream, int clientPort, bool fromServer)
    {
        for (int offset = 0; offset + 4 <= stream.Length;)
        {
            int length = stream[offset + 1] << 16 | stream[offset + 2] << 8 | stream[offset + 3];
            if (offset + 4 + length > stream.Length) yield break;
            var message = stream.AsMemory(offset + 4, length);
            offset += 4 + length;
            foreach (var m in Decode(message, clientPort, fromServer)) yield return m;
        }
    }

    private static List<Message> Decode(ReadOnlyMemory<byte> memory, int clientPort, bool fromServer)
    {
        var message = memory.Span;
        var found = new List<Message>();
        if (message.Length < 4 || !message[1..4].SequenceEqual("SMB"u8)) return found;
        switch (message[0])
        {
            case 0xFD:
                found.Add(new Message(clientPort, fromServer, Kind.Encrypted, 0, 0, 0, 0));
                return found;
            case 0xFF:
                found.Add(new Message(clientPort, fromServer, Kind.Smb1, 0, 0, 0, 0));
                return found;
        }
        // Compounded SMB2 messages follow each other at NextCommand offsets.
        for (int offset = 0; offset + 64 <= message.Length;)
        {
            var header = message[offset..];
            if (header[0] != 0xFE) break;
            found.Add(new Message(clientPort, fromServer, Kind.Smb2, BinaryPrimitives.ReadUInt16LittleEndian(header[12..]),
                BinaryPrimitives.ReadUInt32LittleEndian(header[8..]), BinaryPrimitives.ReadUInt32LittleEndian(header[16..]),
                BinaryPrimitives.ReadUInt64LittleEndian(header[24..])));
            uint next = BinaryPrimitives.ReadUInt32LittleEndian(header[20..]);
            if (next == 0) break;
            offset += (int)next;
        }
        return found;
    }

    public void Dispose()
    {
        if (!_tcpdump.HasExited) _tcpdump.Kill();
        _tcpdump.Dispose();
        File.Delete(_file);
    }
}
