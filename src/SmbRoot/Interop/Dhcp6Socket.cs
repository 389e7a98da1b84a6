using Tmds.Linux;
using static Tmds.Linux.LibC;
using SmbRoot.Core.Dhcp;

namespace SmbRoot.Interop;

/// <summary>
/// The DHCPv6 client's UDP socket on one interface: bound to port 546 on that interface
/// (SO_BINDTODEVICE, socket(7)), sending to All_DHCP_Relay_Agents_and_Servers. Unlike DHCPv4, it
/// needs no packet socket: the link-local address, usable once duplicate address detection lets
/// it, is the source (RFC 8415 13.1).
/// </summary>
public sealed unsafe class Dhcp6Socket : IDatagramSocket
{
    private readonly int _fd;
    private readonly int _interfaceIndex;
    private readonly string _name;

    public int Fd => _fd;

    public Dhcp6Socket(int interfaceIndex, string name)
    {
        _interfaceIndex = interfaceIndex;
        _name = name;
        _fd = socket(AF_INET6, Sockets.SOCK_DGRAM | Sockets.SOCK_CLOEXEC, 0);
        if (_fd < 0) throw new SysException("socket", "DHCPv6 on " + name, errno);
        try
        {
            var device = System.Text.Encoding.ASCII.GetBytes(name + "\0");
            fixed (byte* d = device)
            {
                if (setsockopt(_fd, SOL_SOCKET, SO_BINDTODEVICE, d, (uint)device.Length) < 0) throw new SysException("SO_BINDTODEVICE", name, errno);
            }
            int index = interfaceIndex;
            if (setsockopt(_fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &index, sizeof(int)) < 0) throw new SysException("IPV6_MULTICAST_IF", name, errno);
            var any = new sockaddr_in6 { sin6_family = AF_INET6, sin6_port = htons(Dhcp6Message.ClientPort) };
            if (bind(_fd, (sockaddr*)&any, (uint)sizeof(sockaddr_in6)) < 0) throw new SysException("bind", $"DHCPv6 client port {Dhcp6Message.ClientPort} on {name}", errno);
        }
        catch
        {
            close(_fd);
            throw;
        }
    }

    /// <summary>Sends one message to the servers on this link.</summary>
    public void Send(byte[] message)
    {
        var servers = Sockets.Address6(new System.Net.IPAddress(Dhcp6Message.AllServers.GetAddressBytes(), _interfaceIndex), Dhcp6Message.ServerPort);
        fixed (byte* m = message)
        {
            if ((long)sendto(_fd, m, message.Length, 0, (sockaddr*)&servers, (uint)sizeof(sockaddr_in6)) < 0) throw new SysException("sendto", $"DHCPv6 on {_name}", errno);
        }
    }

    /// <summary>The next datagram, or null when none comes within <paramref name="timeout"/> (zero: only what is there now).</summary>
    public byte[]? Receive(TimeSpan timeout) => Sockets.ReceiveWithin(_fd, timeout, "DHCPv6");

    public void Dispose() => close(_fd);
}
