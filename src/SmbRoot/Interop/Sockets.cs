using System.Net;
using SmbRoot.Core.Netlink;
using Tmds.Linux;
using static Tmds.Linux.LibC;
using SmbRoot.Core.Kernel;

namespace SmbRoot.Interop;

/// <summary>The boot's sockets: rtnetlink to configure the interface, TCP to probe the server, UDP for DNS; IPv4 or IPv6.</summary>
public static unsafe class Sockets
{
    public const int AF_INET = 2, AF_NETLINK = 16, SOCK_STREAM = 1, SOCK_DGRAM = 2, SOCK_RAW = 3, SOCK_NONBLOCK = 0x800, SOCK_CLOEXEC = 0x80000;
    public const int NETLINK_ROUTE = 0, SOL_SOCKET = 1, SO_ERROR = 4, SO_RCVTIMEO = 20;
    public const short POLLOUT = 4;

    /// <summary>Sends one rtnetlink request and waits for its acknowledgement; throws on a negative one.</summary>
    public static void RouteRequest(byte[] message, uint sequence, string what)
    {
        int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
        if (fd < 0) throw new SysException("socket", "netlink", errno);
        try
        {
            // rtnetlink handles the request inside send() (net/netlink/af_netlink.c, netlink_unicast_kernel
            // runs rtnetlink_rcv in the sender's context), so the answer is queued before recv: the
            // timeout only bounds the unexpected, well inside one turn of the guard's poll loop.
            var timeout = new Timeval { tv_usec = 250_000 };
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(Timeval));
            fixed (byte* m = message)
            {
                if ((long)send(fd, m, message.Length, 0) < 0) throw new SysException("send", what, errno);
            }
            var buffer = new byte[8192];
            while (true)
            {
                long received;
                fixed (byte* b = buffer) received = recv(fd, b, buffer.Length, 0);
                if (received < 0) throw new SysException("recv", what, errno);
                int? error = RouteMessages.ReadAck(buffer.AsSpan(0, (int)received), sequence);
                if (error is null) continue;
                if (error != 0) throw new SysException("rtnetlink", what, error.Value);
                return;
            }
        }
        finally
        {
            close(fd);
        }
    }

    private struct Timeval
    {
        public long tv_sec;
        public long tv_usec;
    }

    /// <summary>
    /// Opens and closes a TCP connection to the server, to tell "unreachable" from "refused"
    /// before the cifs client turns either into a generic mount error. Throws what connect(2) said,
    /// or ETIMEDOUT after <paramref name="timeout"/>.
    /// </summary>
    public static void ProbeTcp(IPAddress address, int port, TimeSpan timeout)
    {
        string what = Endpoint(address, port);
        int fd = socket(Family(address), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) throw new SysException("socket", what, errno);
        try
        {
            if (Connect(fd, address, port) == 0) return;
            if (errno != Errno.EINPROGRESS) throw new SysException("connect", what, errno);
            var pfd = new pollfd { fd = fd, events = POLLOUT };
            int ready = poll(&pfd, 1, (int)timeout.TotalMilliseconds);
            if (ready < 0) throw new SysException("poll", what, errno);
            if (ready == 0) throw new SysException("connect", what, Errno.ETIMEDOUT);
            int socketError = 0;
            socklen_t length = sizeof(int);
            if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &socketError, &length) < 0) throw new SysException("getsockopt", what, errno);
            if (socketError != 0) throw new SysException("connect", what, socketError);
        }
        finally
        {
            close(fd);
        }
    }

    /// <summary>One UDP datagram to <paramref name="server"/> and its first answer, or null when none comes within <paramref name="timeout"/>.</summary>
    public static byte[]? UdpExchange(IPAddress server, int port, byte[] query, TimeSpan timeout)
    {
        string what = Endpoint(server, port);
        int fd = socket(Family(server), SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0) throw new SysException("socket", what, errno);
        try
        {
            if (Connect(fd, server, port) < 0) throw new SysException("connect", what, errno);
            fixed (byte* q = query) if ((long)send(fd, q, query.Length, 0) < 0) throw new SysException("send", what, errno);
            var pfd = new pollfd { fd = fd, events = POLLIN };
            int ready = poll(&pfd, 1, (int)timeout.TotalMilliseconds);
            if (ready < 0) throw new SysException("poll", what, errno);
            if (ready == 0) return null;
            var buffer = new byte[1500];
            long received;
            fixed (byte* b = buffer) received = recv(fd, b, buffer.Length, 0);
            if (received < 0) throw new SysException("recv", what, errno);
            return buffer[..(int)received];
        }
        finally
        {
            close(fd);
        }
    }

    /// <summary>The next datagram on <paramref name="fd"/>, or null when none comes within <paramref name="timeout"/> (zero: only what is there now).</summary>
    public static byte[]? ReceiveWithin(int fd, TimeSpan timeout, string what)
    {
        var pfd = new pollfd { fd = fd, events = POLLIN };
        int ready = poll(&pfd, 1, (int)Math.Max(0, timeout.TotalMilliseconds));
        if (ready < 0 && errno != Errno.EINTR) throw new SysException("poll", what, errno);
        if (ready <= 0) return null;
        var buffer = new byte[2048];
        long received;
        fixed (byte* b = buffer) received = recv(fd, b, buffer.Length, MSG_DONTWAIT);
        if (received < 0 && errno != Errno.EAGAIN) throw new SysException("recv", what, errno);
        return received < 0 ? null : buffer[..(int)received];
    }

    /// <summary>"192.0.2.5:445", or "[2001:db8::5]:445" for IPv6.</summary>
    public static string Endpoint(IPAddress address, int port) =>
        address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]:{port}" : $"{address}:{port}";

    private static int Family(IPAddress address) =>
        address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? AF_INET6 : AF_INET;

    /// <summary>connect(2) to either family; a link-local IPv6 address carries its interface as <see cref="IPAddress.ScopeId"/>.</summary>
    private static int Connect(int fd, IPAddress address, int port)
    {
        var bytes = address.GetAddressBytes();
        if (bytes.Length == 16)
        {
            var sa6 = Address6(address, port);
            return connect(fd, (sockaddr*)&sa6, (uint)sizeof(sockaddr_in6));
        }
        var sa = new sockaddr_in { sin_family = AF_INET, sin_port = htons((ushort)port) };
        for (int i = 0; i < 4; i++) sa.sin_addr.s_addr[i] = bytes[i];
        return connect(fd, (sockaddr*)&sa, (uint)sizeof(sockaddr_in));
    }

    public static sockaddr_in6 Address6(IPAddress address, int port)
    {
        var sa = new sockaddr_in6 { sin6_family = AF_INET6, sin6_port = htons((ushort)port), sin6_scope_id = (uint)address.ScopeId };
        var bytes = address.GetAddressBytes();
        for (int i = 0; i < 16; i++) sa.sin6_addr.s6_addr[i] = bytes[i];
        return sa;
    }
}
