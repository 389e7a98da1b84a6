using System.Runtime.InteropServices;
using SmbRoot.Core.Kernel;
using static Tmds.Linux.LibC;

namespace SmbRoot.Interop;

/// <summary>
/// A small file on the share read and written past the client's cache: opened with O_DIRECT, which
/// the cifs client serves with uncached reads and writes even on a cache=strict mount
/// (fs/cifs/file.c, cifs_open picks cifs_file_direct_ops), and its modification time asked of
/// the server with AT_STATX_FORCE_SYNC (fs/cifs/inode.c, cifs_getattr forgets the cached
/// attributes). One aligned block at a time. Closing it releases it.
/// </summary>
public sealed unsafe partial class ServerFile : IDisposable
{
    internal const int AT_EMPTY_PATH = 0x1000, AT_STATX_FORCE_SYNC = 0x2000;
    internal const uint STATX_MTIME = 0x40, STATX_INO = 0x100, STATX_SIZE = 0x200;
    internal const int StatxSize = 256, StatxInoOffset = 32, StatxSizeOffset = 40, StatxMtimeOffset = 112;
    /// <summary>struct linux_dirent64 (getdents64(2)): d_ino at 0, d_off, d_reclen, d_type, then the name, NUL-terminated.</summary>
    internal const int DirentLengthOffset = 16, DirentNameOffset = 19;
    private const int Alignment = 4096;

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static partial int statx_native(int directoryFd, byte* path, int flags, uint mask, byte* buffer);

    private int _fd;
    private readonly byte* _block;
    private readonly int _size;

    public string Path { get; private set; }

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
        if ((long)pread(_fd, _block, _size, 0) < 0) throw new SysException("pread", Path, errno);
        return new Span<byte>(_block, _size).ToArray();
    }

    /// <summary>Writes the block at offset 0 and waits until the server has it.</summary>
    public void WriteBlock(ReadOnlySpan<byte> data)
    {
        var block = new Span<byte>(_block, _size);
        block.Clear();
        data[..Math.Min(data.Length, _size)].CopyTo(block);
        long written = pwrite(_fd, _block, _size, 0);
        if (written < 0) throw new SysException("pwrite", Path, errno);
        if (written != _size) throw new SysException("pwrite", Path + " (short write)", Errno.EIO);
        if (fsync(_fd) < 0) throw new SysException("fsync", Path, errno);
    }

    /// <summary>
    /// The file <paramref name="name"/> names now, opened for reading; the caller closes it, and asks
    /// it what it is (<see cref="IdentityOf(int, string)"/>, <see cref="ContentOf"/>). A stat by name is
    /// not enough: while the client holds a lease it answers from its cache. An open is a CREATE on
    /// the server, whose reply refreshes the inode; a file replaced under the name fails that refresh
    /// with ESTALE and the VFS looks the name up again (fs/cifs/file.c, cifs_nt_open returns
    /// -EOPENSTALE), so the descriptor is the file the name names now. O_NONBLOCK, which means nothing
    /// for a regular file, keeps the client from reusing the loop device's handle of the same path
    /// (cifs_open reuses an open handle found by cifs_get_readable_path only when the flags are equal).
    /// </summary>
    /// <param name="directoryFd">the directory the name is in, opened once (O_PATH): a lookup from there asks only the server
    /// that holds it, where a walk from the share's root would revalidate each directory on the way, the root's own
    /// server too (through a DFS link, a server the image does not live on)</param>
    public static int OpenName(int directoryFd, string name, string what) => Sys.OpenAt(directoryFd, name, Sys.O_RDONLY | Sys.O_NONBLOCK, what);

    /// <summary>The content stamp and first <see cref="Core.Images.ContentStamp.HeadBytes"/> of the open file <paramref name="fd"/> of <paramref name="size"/> bytes.</summary>
    public static (Core.Images.ContentStamp? Stamp, byte[] Head) ContentOf(int fd, long size, string what)
    {
        var head = new byte[(int)Math.Min(Core.Images.ContentStamp.HeadBytes, size)];
        Sys.PRead(fd, head, 0, what);
        return (StampOf(fd, size, what), head);
    }

    /// <summary>The content stamp the open file <paramref name="fd"/> of <paramref name="size"/> bytes ends with, or null; a damaged stamp is none (<see cref="Core.Images.ContentStamp.Find"/>).</summary>
    private static Core.Images.ContentStamp? StampOf(int fd, long size, string what)
    {
        if (size < Core.Images.ContentStamp.Size) return null;
        var tail = new byte[Core.Images.ContentStamp.Size];
        Sys.PRead(fd, tail, size - tail.Length, what);
        try
        {
            return Core.Images.ContentStamp.Find(size, tail);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>
    /// Whether <paramref name="path"/> names the file <paramref name="fileId"/> on the server now,
    /// for a file this mount does not hold open (the image's name on the records mount: the loop
    /// device holds it on the share's), asked without opening it: a statx with the cached attributes forgotten (AT_STATX_FORCE_SYNC)
    /// queries the server, and a name that now names another file fails the revalidation with
    /// ESTALE (fs/cifs/inode.c, cifs_revalidate_dentry_attr). A name that is gone, or whose
    /// file is being deleted while another handle holds it open (STATUS_DELETE_PENDING, which
    /// fs/cifs/smb2maperror.c makes EBUSY), names no file. Other errors are the network's: thrown.
    /// </summary>
    public static bool Names(string path, ulong fileId)
    {
        var buffer = stackalloc byte[StatxSize];
        fixed (byte* name = Sys.Z(path))
        {
            if (statx_native(Sys.AT_FDCWD, name, AT_STATX_FORCE_SYNC, STATX_INO, buffer) == 0) return *(ulong*)(buffer + StatxInoOffset) == fileId;
        }
        int error = Marshal.GetLastPInvokeError();
        return error is Errno.ENOENT or Errno.ESTALE or Errno.EBUSY ? false : throw new SysException("statx", path, error);
    }

    /// <summary>
    /// The server's file id of what <paramref name="path"/> names, from a listing of its directory,
    /// or null when the name is not there. For a file this client holds open at that path (a holder's
    /// record) neither a stat nor an open by name can say: the client answers a stat through its own
    /// handle of the same path, and its dentry stays bound to the file held. The lab sees a deleted
    /// record still stat as the file held, with "CIFS: VFS: bogus file nlink value 0" in the kernel
    /// log (the server's answer for the unlinked open file), and an open by name fail with ESTALE
    /// (Linux 6.1, fs/cifs/inode.c and file.c). A listing (QUERY_DIRECTORY) is always the server's,
    /// and with serverino its d_ino is the server's file id, as statx's stx_ino is.
    /// </summary>
    public static ulong? IdInDirectory(string path)
    {
        byte[] name = System.Text.Encoding.UTF8.GetBytes(System.IO.Path.GetFileName(path));
        int directory = Sys.Open(System.IO.Path.GetDirectoryName(path) ?? "/", Sys.O_RDONLY | Sys.O_DIRECTORY);
        try
        {
            var buffer = stackalloc byte[DirectoryBufferSize];
            while (true)
            {
                nint read = getdents64_native(directory, buffer, DirectoryBufferSize);
                if (read < 0) throw new SysException("getdents64", path, Marshal.GetLastPInvokeError());
                if (read == 0) return null;
                for (nint offset = 0; offset < read;)
                {
                    byte* entry = buffer + offset;
                    ushort length = *(ushort*)(entry + DirentLengthOffset);
                    var entryName = new ReadOnlySpan<byte>(entry + DirentNameOffset, length - DirentNameOffset);
                    if (entryName.IndexOf((byte)0) is int end && end >= 0 && entryName[..end].SequenceEqual(name))
                    {
                        return *(ulong*)entry;
                    }
                    offset += length;
                }
            }
        }
        finally
        {
            Sys.Close(directory);
        }
    }

    private const int DirectoryBufferSize = 32 * 1024;

    [LibraryImport("libc", EntryPoint = "getdents64", SetLastError = true)]
    private static partial nint getdents64_native(int fd, byte* buffer, nint count);

    /// <summary>
    /// Makes a file at <paramref name="path"/> holding <paramref name="block"/>, through a name beside
    /// it and a rename: an open of the name itself would find it bound to the deleted file this client
    /// still holds (<see cref="IdInDirectory"/>) and fail with ESTALE. Returns the new file, open.
    /// </summary>
    public static ServerFile CreateAt(string path, int blockSize, ReadOnlySpan<byte> block)
    {
        string beside = path + ".new";
        var file = new ServerFile(beside, blockSize, create: true);
        try
        {
            file.WriteBlock(block);
            Sys.Rename(beside, path);
            file.Path = path;
            return file;
        }
        catch
        {
            file.Dispose();
            throw;
        }
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
