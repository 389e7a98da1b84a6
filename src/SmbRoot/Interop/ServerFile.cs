using System.Runtime.InteropServices;

namespace SmbRoot.Interop;

/// <summary>
/// A small file on the share read and written past the client's cache: opened with O_DIRECT, which
/// the cifs client serves with uncached reads and writes even on a cache=strict mount
/// (fs/smb/client/file.c, cifs_open picks cifs_file_direct_ops), and its modification time asked of
/// the server with AT_STATX_FORCE_SYNC (fs/smb/client/inode.c, cifs_getattr forgets the cached
/// attributes). One aligned block at a time. Closing it releases it.
/// </summary>
public sealed unsafe partial class ServerFile : IDisposable
{
    private const int AT_EMPTY_PATH = 0x1000, AT_STATX_FORCE_SYNC = 0x2000;
    private const uint STATX_MTIME = 0x40, STATX_INO = 0x100, STATX_SIZE = 0x200;
    private const int StatxSize = 256, StatxInoOffset = 32, StatxSizeOffset = 40, StatxMtimeOffset = 112;
    private const int Alignment = 4096;

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static partial int statx_native(int directoryFd, byte* path, int flags, uint mask, byte* buffer);

    [LibraryImport("libc", EntryPoint = "pwrite", SetLastError = true)]
    private static partial nint pwrite_native(int fd, byte* buffer, nint count, long offset);

    [LibraryImport("libc", EntryPoint = "pread", SetLastError = true)]
    private static partial nint pread_native(int fd, byte* buffer, nint count, long offset);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int fsync_native(int fd);

    private int _fd;
    private readonly byte* _block;
    private readonly int _size;

    public string Path { get; }

    /// <summary>Opens (and with <paramref name="create"/> makes) the file for blocks of <paramref name="blockSize"/> bytes.</summary>
    public ServerFile(string path, int blockSize, bool create)
        : this(Sys.Open(path, Sys.O_RDWR | Sys.O_DIRECT | (create ? Sys.O_CREAT : 0), 0x1A4 /* 0644 */), path, blockSize)
    {
    }

    private ServerFile(int fd, string path, int blockSize)
    {
        (_fd, Path, _size) = (fd, path, blockSize);
        _block = (byte*)NativeMemory.AlignedAlloc((nuint)Math.Max(blockSize, Alignment), Alignment);
    }

    /// <summary>Takes over a descriptor another process opened with O_DIRECT and passed on (the handoff helper): no I/O on the share to start.</summary>
    public static ServerFile Adopt(int fd, string path, int blockSize) => new(fd, path, blockSize);

    /// <summary>A copy of the descriptor that a spawned process inherits (dup(2) leaves close-on-exec off).</summary>
    public int DuplicateForChild() => Sys.Duplicate(_fd);

    /// <summary>The block at offset 0; bytes past the end of the file read as zeros.</summary>
    public byte[] ReadBlock()
    {
        new Span<byte>(_block, _size).Clear();
        if (pread_native(_fd, _block, _size, 0) < 0) throw new SysException("pread", Path, Marshal.GetLastPInvokeError());
        return new Span<byte>(_block, _size).ToArray();
    }

    /// <summary>Writes the block at offset 0 and waits until the server has it.</summary>
    public void WriteBlock(ReadOnlySpan<byte> data)
    {
        var block = new Span<byte>(_block, _size);
        block.Clear();
        data[..Math.Min(data.Length, _size)].CopyTo(block);
        nint written = pwrite_native(_fd, _block, _size, 0);
        if (written < 0) throw new SysException("pwrite", Path, Marshal.GetLastPInvokeError());
        if (written != _size) throw new SysException("pwrite", Path + " (short write)", Core.Sys.Errno.EIO);
        if (fsync_native(_fd) < 0) throw new SysException("fsync", Path, Marshal.GetLastPInvokeError());
    }

    /// <summary>
    /// Which file <paramref name="path"/> names now, asked of the server. A stat by path is not
    /// enough: while the client holds a lease it answers from its cache. An open is a CREATE on the
    /// server, whose reply refreshes the inode; a file replaced under the name fails that refresh with
    /// ESTALE and the VFS looks the name up again (fs/smb/client/file.c, cifs_nt_open returns
    /// -EOPENSTALE), so the descriptor is the file the name names now. O_NONBLOCK, which means nothing
    /// for a regular file, keeps the client from reusing the loop device's handle of the same path
    /// (cifs_open reuses an open handle found by cifs_get_readable_path only when the flags are equal).
    /// </summary>
    public static Core.Images.ImageIdentity IdentityOf(string path)
    {
        int fd = Sys.Open(path, Sys.O_RDONLY | Sys.O_NONBLOCK);
        try
        {
            return IdentityOf(fd, path);
        }
        finally
        {
            Sys.Close(fd);
        }
    }

    /// <summary>
    /// Whether <paramref name="path"/> names the file <paramref name="fileId"/> on the server now,
    /// asked without opening it: a statx with the cached attributes forgotten (AT_STATX_FORCE_SYNC)
    /// queries the server, and a name that now names another file fails the revalidation with
    /// ESTALE (fs/smb/client/inode.c, cifs_revalidate_dentry_attr). A name that is gone, or whose
    /// file is being deleted while another handle holds it open (STATUS_DELETE_PENDING, which
    /// fs/smb/client/smb2maperror.c makes EBUSY), names no file. Other errors are the network's: thrown.
    /// </summary>
    public static bool Names(string path, ulong fileId)
    {
        var buffer = stackalloc byte[StatxSize];
        fixed (byte* name = Sys.Z(path))
        {
            if (statx_native(Sys.AT_FDCWD, name, AT_STATX_FORCE_SYNC, STATX_INO, buffer) == 0) return *(ulong*)(buffer + StatxInoOffset) == fileId;
        }
        int errno = Marshal.GetLastPInvokeError();
        return errno is Core.Sys.Errno.ENOENT or Core.Sys.Errno.ESTALE or Core.Sys.Errno.EBUSY ? false : throw new SysException("statx", path, errno);
    }

    private ulong? _fileId;

    /// <summary>The server's file id of the open file, asked once.</summary>
    public ulong FileId => _fileId ??= IdentityOf(_fd, Path).FileId;

    /// <summary>File id, size and modification time of the open file <paramref name="fd"/>, with the client's cached attributes forgotten first (AT_STATX_FORCE_SYNC).</summary>
    public static Core.Images.ImageIdentity IdentityOf(int fd, string what)
    {
        var buffer = stackalloc byte[StatxSize];
        byte empty = 0;
        if (statx_native(fd, &empty, AT_EMPTY_PATH | AT_STATX_FORCE_SYNC, STATX_INO | STATX_SIZE | STATX_MTIME, buffer) < 0)
        {
            throw new SysException("statx", what, Marshal.GetLastPInvokeError());
        }
        // struct statx (statx(2)): stx_ino, stx_size, and stx_mtime as seconds and nanoseconds.
        var modified = Core.Images.ImageIdentity.FromUnixTime(*(long*)(buffer + StatxMtimeOffset), *(uint*)(buffer + StatxMtimeOffset + 8));
        return new(*(ulong*)(buffer + StatxInoOffset), *(long*)(buffer + StatxSizeOffset), modified);
    }

    public void Dispose()
    {
        if (_fd < 0) return;
        Sys.Close(_fd);
        _fd = -1;
        NativeMemory.AlignedFree(_block);
    }
}
