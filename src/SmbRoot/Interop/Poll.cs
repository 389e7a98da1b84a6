using static Tmds.Linux.LibC;
using SmbRoot.Core.Kernel;

namespace SmbRoot.Interop;

/// <summary>poll(2) over a few descriptors, and the self-pipe that turns a signal into a readable descriptor.</summary>
public static unsafe partial class Sys
{
    /// <summary>POLLIN | POLLERR | POLLHUP (poll.h): data, or an end that a read will report.</summary>
    public const short ReadableEvents = 0x1 | 0x8 | 0x10;

    /// <summary>Waits up to <paramref name="timeout"/> for any of <paramref name="fds"/> (negative ones are skipped, as poll(2) does) to be readable.</summary>
    public static bool[] PollReadable(ReadOnlySpan<int> fds, TimeSpan timeout)
    {
        var set = stackalloc Tmds.Linux.pollfd[fds.Length];
        for (int i = 0; i < fds.Length; i++) set[i] = new Tmds.Linux.pollfd { fd = fds[i], events = POLLIN };
        int ready = poll(set, (Tmds.Linux.ulong_t)(ulong)fds.Length, (int)Math.Clamp(timeout.TotalMilliseconds, 0, int.MaxValue));
        var readable = new bool[fds.Length];
        // EINTR: a signal came, which the loop learns from its wake-up pipe. The runtime's signal
        // handler can leave errno at 0 on that path, so 0 counts as an interruption too.
        if (ready < 0 && errno is not (Errno.EINTR or 0)) throw new SysException("poll", "supervisor", errno);
        for (int i = 0; ready > 0 && i < fds.Length; i++) readable[i] = (set[i].revents & ReadableEvents) != 0;
        return readable;
    }
}

/// <summary>
/// A non-blocking pipe: a signal callback writes a byte, and the poll loop wakes. The callback
/// only queues and wakes; every decision is made on the loop's thread (tini's rule).
/// </summary>
public sealed unsafe class WakeupPipe : IDisposable
{
    private readonly int _read, _write;

    public WakeupPipe() => (_read, _write) = Sys.Pipe("wake-up pipe", nonBlocking: true);

    public int ReadFd => _read;

    /// <summary>Safe from any thread; a full pipe (EAGAIN) already means "wake up".</summary>
    public void Wake()
    {
        byte one = 1;
        _ = write(_write, &one, 1);
    }

    public void Drain()
    {
        var buffer = stackalloc byte[64];
        while ((long)read(_read, buffer, 64) > 0) { }
    }

    public void Dispose()
    {
        _ = close(_read);
        _ = close(_write);
    }
}
