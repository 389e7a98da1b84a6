using SmbRoot.Interop;
using SmbRoot.Resources;

namespace SmbRoot.Fencing;

/// <summary>
/// The kernel watchdog (Documentation/watchdog/watchdog-api.rst): once /dev/watchdog is open the
/// machine resets unless it is written to within the timeout, whatever user space is doing. Here it
/// is fed only after a renewal of the holder record succeeds, so a PID 1 stuck in a syscall on the
/// share still stops writing in time. softdog when no hardware watchdog has registered one.
/// Releasing it writes the magic 'V' first, which disarms it (drivers/watchdog/watchdog_dev.c).
/// </summary>
public sealed class Watchdog : IResource
{
    public const string Device = "/dev/watchdog";

    private int _fd;

    private Watchdog(int fd) => _fd = fd;

    /// <summary>Takes over a running watchdog whose descriptor was passed on (the handoff helper), so it is never left unfed or disarmed in between.</summary>
    public static Watchdog Adopt(int fd) => new(fd);

    /// <summary>A copy of the descriptor for a spawned child: the device stays open, and running, for as long as either holds it.</summary>
    public int DuplicateForChild()
    {
        lock (_gate) return Sys.Duplicate(_fd);
    }

    public string Name => "watchdog " + Device;

    /// <summary>Opens the watchdog (which starts it, or goes on with it) with <paramref name="timeout"/>, or with the one it has.</summary>
    public static Watchdog Arm(TimeSpan? timeout)
    {
        int fd = Sys.Open(Device, Sys.O_WRONLY);
        try
        {
            if (timeout is { } t)
            {
                Sys.SetWatchdogTimeout(fd, (int)Math.Ceiling(t.TotalSeconds), Device);
            }
            var watchdog = new Watchdog(fd);
            watchdog.Feed();
            return watchdog;
        }
        catch
        {
            Disarm(fd);
            throw;
        }
    }

    /// <summary>Feeding and releasing come from different threads; the lock keeps a feed off a descriptor already closed (and perhaps reused).</summary>
    private readonly object _gate = new();

    public void Feed()
    {
        lock (_gate)
        {
            if (_fd >= 0) Sys.WriteAll(_fd, "\0"u8, Device);
        }
    }

    public void Release(Deadline deadline)
    {
        lock (_gate)
        {
            if (_fd >= 0) Disarm(_fd);
            _fd = -1;
        }
    }

    private static void Disarm(int fd)
    {
        try { Sys.WriteAll(fd, "V"u8, Device); }
        finally { Sys.Close(fd); }
    }
}
