using System.Text;
using SmbRoot.Interop;
using Xunit;
using static Tmds.Linux.LibC;
using SmbRoot.Core.Kernel;

namespace SmbRoot.Tests.Interop;

/// <summary>The client's read of the answer, on a connected pair of the control socket's kind (SOCK_SEQPACKET).</summary>
public unsafe class ControlSocketTests
{
    [Fact]
    public void The_answer_is_read_when_PID_1_closed_with_the_request_unread()
    {
        // PID 1 refuses an ordinary user by uid without reading the request, answers and closes:
        // the kernel marks the client's socket ECONNRESET, with the answer still queued on it.
        using var pair = new Pair();
        Write(pair.Client, "relinquish");
        Write(pair.Server, "error: only root may control PID 1 (you are uid 1000)");
        pair.CloseServer();
        Assert.Equal("error: only root may control PID 1 (you are uid 1000)", ControlSocket.ReceiveAnswer(pair.Client));
    }

    [Fact]
    public void A_close_without_an_answer_is_a_reset()
    {
        using var pair = new Pair();
        Write(pair.Client, "status");
        pair.CloseServer();
        Assert.Equal(Errno.ECONNRESET, Assert.Throws<SysException>(() => ControlSocket.ReceiveAnswer(pair.Client)).Errno);
    }

    [Fact]
    public void No_answer_within_the_receive_timeout_is_a_timeout()
    {
        using var pair = new Pair();
        var wait = stackalloc long[2] { 0, 50_000 };
        Assert.Equal(0, setsockopt(pair.Client, Sockets.SOL_SOCKET, Sockets.SO_RCVTIMEO, wait, 16));
        Assert.Equal(Errno.ETIMEDOUT, Assert.Throws<SysException>(() => ControlSocket.ReceiveAnswer(pair.Client)).Errno);
    }

    /// <summary>socketpair(2): the client's end and the server's, closed when the test ends.</summary>
    private sealed class Pair : IDisposable
    {
        public int Client { get; }
        public int Server { get; private set; }

        public Pair()
        {
            var fds = stackalloc int[2];
            Assert.Equal(0, socketpair(ControlSocket.AF_UNIX, ControlSocket.SOCK_SEQPACKET, 0, fds));
            (Client, Server) = (fds[0], fds[1]);
        }

        public void CloseServer()
        {
            close(Server);
            Server = -1;
        }

        public void Dispose()
        {
            close(Client);
            if (Server >= 0) close(Server);
        }
    }

    private static void Write(int fd, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        fixed (byte* b = bytes) Assert.Equal(bytes.Length, (long)send(fd, b, bytes.Length, 0));
    }
}
