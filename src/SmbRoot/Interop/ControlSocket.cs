using System.Text;
using SmbRoot.Core.Control;
using Tmds.Linux;
using static Tmds.Linux.LibC;
using SmbRoot.Core.Kernel;

namespace SmbRoot.Interop;

/// <summary>
/// The control socket between the <c>init</c> client and PID 1: a SOCK_SEQPACKET unix socket in the
/// abstract namespace (unix(7)), so it needs no file that the system could delete, and it is
/// reachable from the system's PID and mount namespaces (they share the network namespace).
/// Only root may use it: the server checks the peer's SO_PEERCRED.
/// </summary>
public static unsafe class ControlSocket
{
    public const string Name = "smbroot/control";
    public const int AF_UNIX = 1, SOCK_SEQPACKET = 5, SO_PEERCRED = 17;
    private const int SOCK_NONBLOCK = Sockets.SOCK_NONBLOCK, SOCK_CLOEXEC = Sockets.SOCK_CLOEXEC, SOL_SOCKET = Sockets.SOL_SOCKET, SO_RCVTIMEO = Sockets.SO_RCVTIMEO;

    internal struct UnixAddress
    {
        public ushort Family;
        public fixed byte Path[108];
    }

    internal struct PeerCredentials
    {
        public int Pid, Uid, Gid;
    }

    private static (UnixAddress Address, int Length) Address()
    {
        var address = new UnixAddress { Family = AF_UNIX };
        var name = Encoding.ASCII.GetBytes(Name);
        // Path[0] stays 0: an abstract name; its length is part of the address length.
        for (int i = 0; i < name.Length; i++) address.Path[i + 1] = name[i];
        return (address, sizeof(ushort) + 1 + name.Length);
    }

    public static int Listen()
    {
        int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) throw new SysException("socket", "control socket", errno);
        var (address, length) = Address();
        if (bind(fd, (sockaddr*)&address, (uint)length) < 0 || listen(fd, 8) < 0)
        {
            int error = errno;
            close(fd);
            throw new SysException("bind", "@" + Name, error);
        }
        return fd;
    }

    /// <summary>A waiting client and its uid and pid, or null when none is waiting (EAGAIN on the non-blocking listener).</summary>
    public static (int Fd, int Uid, int Pid)? Accept(int listener)
    {
        int fd = accept4(listener, null, null, SOCK_CLOEXEC);
        if (fd < 0)
        {
            // ECONNABORTED: the client gave up while queued (accept(2)); there is nobody to serve.
            if (errno is Errno.EAGAIN or Errno.ECONNABORTED) return null;
            throw new SysException("accept4", "@" + Name, errno);
        }
        var credentials = new PeerCredentials();
        socklen_t length = (uint)sizeof(PeerCredentials);
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) < 0)
        {
            int error = errno;
            close(fd);
            throw new SysException("getsockopt", "SO_PEERCRED", error);
        }
        // The client sends its request right after connecting; a peer that does not may hold PID 1's loop for 200 ms at most.
        var timeout = stackalloc long[2] { 0, 200_000 };
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, timeout, 16);
        return (fd, credentials.Uid, credentials.Pid);
    }

    /// <summary>One message, or null when none came before the receive timeout or the peer closed or reset the connection.</summary>
    public static string? Receive(int fd)
    {
        string? text = ReceiveOnce(fd, 0, out int error);
        if (text is null && error is not (0 or Errno.EAGAIN or Errno.ECONNRESET)) throw new SysException("recv", "@" + Name, error);
        return text;
    }

    /// <summary>One recv(2): the message, or null with the errno (0 when the peer closed the connection).</summary>
    private static string? ReceiveOnce(int fd, int flags, out int error)
    {
        var buffer = new byte[ControlMessages.MaxSize];
        long received;
        fixed (byte* b = buffer) received = recv(fd, b, buffer.Length, flags);
        error = received < 0 ? errno : 0;
        return received <= 0 ? null : Encoding.UTF8.GetString(buffer, 0, (int)received);
    }

    /// <summary>Sends one answer. A client that has already gone (EPIPE, ECONNRESET) needs none, so that is not an error.</summary>
    public static void Send(int fd, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        fixed (byte* b = bytes)
        {
            if ((long)send(fd, b, bytes.Length, MSG_NOSIGNAL) < 0 && errno is not (Errno.EPIPE or Errno.ECONNRESET))
            {
                throw new SysException("send", "@" + Name, errno);
            }
        }
    }

    /// <summary>
    /// The client side: one request, the answer, and who answered (the server's uid from
    /// SO_PEERCRED: an abstract name can be bound by anyone, so the caller checks it is root).
    /// Throws when nobody listens.
    /// </summary>
    public static (string Answer, int ServerUid) Request(string request, TimeSpan timeout)
    {
        int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (fd < 0) throw new SysException("socket", "control socket", errno);
        try
        {
            var (address, length) = Address();
            if (connect(fd, (sockaddr*)&address, (uint)length) < 0) throw new SysException("connect", "@" + Name, errno);
            var server = new PeerCredentials();
            socklen_t credentialsLength = (uint)sizeof(PeerCredentials);
            if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &server, &credentialsLength) < 0) throw new SysException("getsockopt", "SO_PEERCRED", errno);
            if (server.Uid != 0) return ("", server.Uid);
            var wait = stackalloc long[2] { (long)timeout.TotalSeconds, 0 };
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, wait, 16);
            Send(fd, request);
            return (ReceiveAnswer(fd), server.Uid);
        }
        finally
        {
            close(fd);
        }
    }

    /// <summary>The client's read of PID 1's answer. Throws ETIMEDOUT when none came before the receive timeout, ECONNRESET when PID 1 closed without one.</summary>
    public static string ReceiveAnswer(int fd)
    {
        string? text = ReceiveOnce(fd, 0, out int error);
        // PID 1 answers an ordinary user without reading its request. If it closes while that request is still
        // queued, the kernel marks this socket ECONNRESET (unix_release_sock, net/unix/af_unix.c), and recv reports
        // that error before the answer already queued here (__skb_try_recv_datagram, net/core/datagram.c).
        // Reporting it clears it, so a second read returns the answer.
        if (text is null && error == Errno.ECONNRESET) text = ReceiveOnce(fd, MSG_DONTWAIT, out error);
        return text ?? throw new SysException("recv", "@" + Name, error switch
        {
            0 => Errno.ECONNRESET,
            Errno.EAGAIN => Errno.ETIMEDOUT,
            _ => error,
        });
    }
}
