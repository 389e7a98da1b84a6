using System.Runtime.InteropServices;

namespace SmbRoot.Interop;

/// <summary>
/// The lock that keeps a read-write image to one machine: an open-file-description lock
/// (fcntl(2), F_OFD_SETLK) on one byte far past the end of the image, so no I/O of the loop
/// device ever touches the locked range. The cifs client turns it into an SMB2 byte-range lock
/// that the server enforces (fs/cifs/file.c, cifs_setlk). While the client holds a
/// write-caching lease it keeps the lock to itself, but another client's open breaks that lease,
/// and the break pushes the cached locks to the server before it is acknowledged
/// (cifs_oplock_break, cifs_push_locks), so the other machine's lock request is refused.
/// The lock belongs to the open file the loop device holds, so it lasts exactly as long as the
/// loop device does, and goes when the loop device is detached.
/// </summary>
public static unsafe partial class ImageLock
{
    public const int F_OFD_SETLK = 37;
    public const short F_RDLCK = 0, F_WRLCK = 1;
    public const long LockOffset = 1L << 62;

    [StructLayout(LayoutKind.Sequential)]
    public struct Flock
    {
        public short Type, Whence;
        public long Start, Length;
        public int Pid;
    }

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int fcntl_native(int fd, int command, Flock* flock);

    /// <summary>Takes the lock without waiting: exclusive for a read-write boot, shared for ro. EAGAIN or EACCES: someone else holds it.</summary>
    public static void Take(int fd, bool exclusive)
    {
        var flock = new Flock { Type = exclusive ? F_WRLCK : F_RDLCK, Whence = 0 /* SEEK_SET */, Start = LockOffset, Length = 1 };
        if (fcntl_native(fd, F_OFD_SETLK, &flock) < 0) throw new SysException("fcntl", "F_OFD_SETLK on the image", Marshal.GetLastPInvokeError());
    }
}
