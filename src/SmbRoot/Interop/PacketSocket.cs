using System.Runtime.InteropServices;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace SmbRoot.Interop;

/// <summary>
/// An AF_PACKET socket for IPv4 frames on one interface (packet(7), SOCK_DGRAM: the kernel adds
/// and strips the Ethernet header). It works before the interface has an address, which the
/// kernel's UDP sockets do not, so the DHCP client sends and receives through it.
/// </summary>
public sealed unsafe class PacketSocket : IDatagramSocket
{
    public const int AF_PACKET = 17;
    private const int SOCK_DGRAM = Sockets.SOCK_DGRAM, SOCK_CLOEXEC = Sockets.SOCK_CLOEXEC;
    public const ushort ETH_P_IP = 0x0800;
    private readonly int _fd;
    private readonly int _interfaceIndex;

    [StructLayout(LayoutKind.Sequential)]
    private struct LinkAddress
    {
        public ushort Family, Protocol;
        public int InterfaceIndex;
        public ushort HardwareType;
        public byte PacketType, AddressLength;
        public fixed byte Address[8];
    }

    /// <summary>For the guard's poll set: readable when a packet is waiting.</summary>
    public int Fd => _fd;

    private static ushort NetworkOrder(ushort value) => (ushort)(value << 8 | value >> 8);

    public PacketSocket(int interfaceIndex, string name)
    {
        _interfaceIndex = interfaceIndex;
        _fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, NetworkOrder(ETH_P_IP));
        if (_fd < 0) throw new SysException("socket", "AF_PACKET on " + name, errno);
        var address = new LinkAddress { Family = AF_PACKET, Protocol = NetworkOrder(ETH_P_IP), InterfaceIndex = interfaceIndex };
        if (bind(_fd, (sockaddr*)&address, (uint)sizeof(LinkAddress)) < 0)
        {
            int error = errno;
            close(_fd);
            throw new SysException("bind", "AF_PACKET on " + name, error);
        }
    }

    /// <summary>Sends an IPv4 packet to the Ethernet broadcast address.</summary>
    public void Broadcast(byte[] packet)
    {
        var address = new LinkAddress { Family = AF_PACKET, Protocol = NetworkOrder(ETH_P_IP), InterfaceIndex = _interfaceIndex, AddressLength = 6 };
        for (int i = 0; i < 6; i++) address.Address[i] = 0xFF;
        fixed (byte* p = packet)
        {
            if ((long)sendto(_fd, p, packet.Length, 0, (sockaddr*)&address, (uint)sizeof(LinkAddress)) < 0) throw new SysException("sendto", "DHCP broadcast", errno);
        }
    }

    /// <summary>The next IPv4 packet, or null when none comes within <paramref name="timeout"/> (zero: only what is there now).</summary>
    public byte[]? Receive(TimeSpan timeout) => Sockets.ReceiveWithin(_fd, timeout, "AF_PACKET");

    public void Dispose() => close(_fd);
}
