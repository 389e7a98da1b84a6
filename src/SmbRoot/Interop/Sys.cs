using System.Runtime.InteropServices;
using System.Text;
using Tmds.Linux;
using static Tmds.Linux.LibC;
using SmbRoot.Core.Kernel;

namespace SmbRoot.Interop;

/// <summary>
/// The one thin layer between the boot and the kernel. Tmds.LibC where it has the call,
/// source-generated LibraryImport where it does not. Every failure becomes a <see cref="SysException"/>.
/// </summary>
public static unsafe partial class Sys
{
    public const int O_RDONLY = 0, O_WRONLY = 1, O_RDWR = 2, O_CREAT = 0x40, O_EXCL = 0x80, O_TRUNC = 0x200, O_NONBLOCK = 0x800, O_DIRECT = 0x4000,
        O_DIRECTORY = 0x10000, O_NOFOLLOW = 0x20000, O_CLOEXEC = 0x80000, O_PATH = 0x200000;
    public const ulong MS_RDONLY = 1, MS_NOSUID = 2, MS_NODEV = 4, MS_NOEXEC = 8, MS_REMOUNT = 32, MS_BIND = 4096, MS_MOVE = 8192,
        MS_REC = 16384, MS_PRIVATE = 1 << 18;
    public const int MNT_DETACH = 2;
    public const int AT_FDCWD = -100, AT_REMOVEDIR = 0x200;

    /// <summary>File types and mode bits (inode(7)).</summary>
    public const uint S_IFMT = 0xF000, S_IFREG = 0x8000, S_IFIFO = 0x1000, AnyExecuteBit = 0x49 /* 0111 */;
    public const uint Mode0700 = 0x1C0, Mode0755 = 0x1ED;

    public static byte[] Z(string s)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(s) + 1];
        Encoding.UTF8.GetBytes(s, bytes);
        return bytes;
    }

    private static int Check(int result, string call, string target)
    {
        if (result < 0) throw new SysException(call, target, errno);
        return result;
    }

    public static void Mount(string? source, string target, string? fsType, ulong flags, string? data)
    {
        fixed (byte* s = source is null ? null : Z(source))
        fixed (byte* t = Z(target))
        fixed (byte* f = fsType is null ? null : Z(fsType))
        fixed (byte* d = data is null ? null : Z(data))
        {
            Check(mount(s, t, f, (ulong_t)flags, d), "mount", $"{source ?? "none"} on {target}");
        }
    }

    /// <summary>mount(2) with MS_REMOUNT | MS_RDONLY: what will not unmount stops writing, and its filesystem is clean on its device.</summary>
    public static void RemountReadOnly(string target) => Mount(null, target, null, MS_REMOUNT | MS_RDONLY, null);

    public static void Unmount(string target, int flags = 0)
    {
        fixed (byte* t = Z(target)) Check(umount2(t, flags), "umount", target);
    }

    public static void MakeDirectory(string path, uint mode = Mode0755)
    {
        fixed (byte* p = Z(path))
        {
            if (mkdir(p, (ushort)mode) < 0 && errno != Errno.EEXIST) throw new SysException("mkdir", path, errno);
        }
    }

    public static int Open(string path, int flags, uint mode = 0)
    {
        fixed (byte* p = Z(path)) return Check(open(p, flags | O_CLOEXEC, (ushort)mode), "open", path);
    }

    /// <summary>openat(2): <paramref name="name"/> looked up in the directory <paramref name="directoryFd"/>, not from the root.</summary>
    public static int OpenAt(int directoryFd, string name, int flags, string what)
    {
        fixed (byte* p = Z(name)) return Check(openat(directoryFd, p, flags | O_CLOEXEC, 0), "open", what);
    }

    public static void Close(int fd) => _ = close(fd);

    public static void Dup2(int fd, int target) => Check(dup2(fd, target), "dup2", target.ToString());

    /// <summary>dup(2): a new descriptor for the same open file, without close-on-exec, so a spawned child inherits it.</summary>
    public static int Duplicate(int fd) => Check(dup(fd), "dup", fd.ToString());

    /// <summary>pipe2(2) with both ends close-on-exec, and with <paramref name="nonBlocking"/> O_NONBLOCK: (read end, write end).</summary>
    public static (int Read, int Write) Pipe(string what, bool nonBlocking = false)
    {
        var fds = stackalloc int[2];
        Check(pipe2(fds, O_CLOEXEC | (nonBlocking ? O_NONBLOCK : 0)), "pipe2", what);
        return (fds[0], fds[1]);
    }

    public static int Read(int fd, Span<byte> buffer, string what)
    {
        fixed (byte* b = buffer) return (int)Check((int)read(fd, b, buffer.Length), "read", what);
    }

    /// <summary>lseek(2) to the end; on /dev/kmsg that is after the last record, so reads return only new ones (Documentation/ABI/testing/dev-kmsg).</summary>
    public static void SeekToEnd(int fd, string what) => Check((int)lseek(fd, 0, SEEK_END), "lseek", what);

    public static int PRead(int fd, Span<byte> buffer, long offset, string what)
    {
        fixed (byte* b = buffer) return (int)Check((int)pread(fd, b, buffer.Length, offset), "read", what);
    }

    public static void WriteAll(int fd, ReadOnlySpan<byte> data, string what)
    {
        while (data.Length > 0)
        {
            int written;
            fixed (byte* b = data) written = (int)write(fd, b, data.Length);
            if (written < 0)
            {
                if (errno == Errno.EINTR) continue;
                throw new SysException("write", what, errno);
            }
            data = data[written..];
        }
    }

    public static int Ioctl(int fd, uint request, void* argument, string what) =>
        Check(ioctl(fd, (int)request, argument), "ioctl", what);

    public static int Ioctl(int fd, uint request, int argument, string what) =>
        Check(ioctl(fd, (int)request, argument), "ioctl", what);

    public static void ChangeDirectory(string path)
    {
        fixed (byte* p = Z(path)) Check(chdir(p), "chdir", path);
    }

    public static void ChangeRoot(string path)
    {
        fixed (byte* p = Z(path)) Check(chroot(p), "chroot", path);
    }

    public static void SetHostName(string name)
    {
        var bytes = Encoding.ASCII.GetBytes(name);
        fixed (byte* p = bytes) Check(sethostname(p, bytes.Length), "sethostname", name);
    }

    /// <summary>Size and used bytes of the filesystem at <paramref name="path"/> (statvfs(3)); "used" counts what only root may still use as free.</summary>
    public static (long Total, long Used) FileSystemUsage(string path)
    {
        statvfs st;
        fixed (byte* p = Z(path)) Check(LibC.statvfs(p, &st), "statvfs", path);
        long unit = (long)st.f_frsize;
        long blocks = (long)(ulong)st.f_blocks, free = (long)(ulong)st.f_bfree;
        return (blocks * unit, (blocks - free) * unit);
    }

    public static (ulong Device, uint Mode, long Size) Stat(string path)
    {
        stat st;
        fixed (byte* p = Z(path)) Check(stat(p, &st), "stat", path);
        return (st.st_dev, (ushort)st.st_mode, st.st_size);
    }

    public static (ulong Device, uint Mode, long Size) FStat(int fd, string what)
    {
        stat st;
        Check(fstat(fd, &st), "fstat", what);
        return (st.st_dev, (ushort)st.st_mode, st.st_size);
    }

    public static bool Exists(string path)
    {
        stat st;
        fixed (byte* p = Z(path)) return stat(p, &st) == 0;
    }

    public static void Unlink(int directoryFd, string name, bool isDirectory)
    {
        fixed (byte* p = Z(name)) Check(unlinkat(directoryFd, p, isDirectory ? AT_REMOVEDIR : 0), "unlink", name);
    }

    /// <summary>link(2): a second name for the same file (both on one mount: across two mounts of one filesystem it is EXDEV).</summary>
    public static void Link(string existing, string name)
    {
        fixed (byte* e = Z(existing))
        fixed (byte* n = Z(name)) Check(link(e, n), "link", name);
    }

    /// <summary>rename(2): <paramref name="from"/> takes the name <paramref name="to"/>, replacing what was there.</summary>
    public static void Rename(string from, string to)
    {
        fixed (byte* f = Z(from))
        fixed (byte* t = Z(to))
        {
            if (rename_native(f, t) < 0) throw new SysException("rename", to, Marshal.GetLastPInvokeError());
        }
    }

    [LibraryImport("libc", EntryPoint = "rename", SetLastError = true)]
    private static partial int rename_native(byte* from, byte* to);

    /// <summary>openat2(2) with RESOLVE_IN_ROOT: symlinks, absolute ones too, resolve inside <paramref name="rootFd"/>.</summary>
    public static int OpenInRoot(int rootFd, string path, int flags)
    {
        const ulong RESOLVE_IN_ROOT = 0x10;
        var how = new open_how { flags = (ulong)(flags | O_CLOEXEC), resolve = RESOLVE_IN_ROOT };
        fixed (byte* p = Z(path.TrimStart('/'))) return Check(openat2(rootFd, p, &how, sizeof(open_how)), "open", path);
    }

    public static string ReadLink(string path)
    {
        var buffer = new byte[4096];
        fixed (byte* p = Z(path))
        fixed (byte* b = buffer)
        {
            int length = (int)Check((int)readlink(p, b, buffer.Length), "readlink", path);
            return Encoding.UTF8.GetString(buffer, 0, length);
        }
    }

    public static void Sync() => sync();

    public static int GetPid() => getpid();

    // x86_64 syscall numbers (arch/x86/entry/syscalls/syscall_64.tbl).
    public const int SYS_finit_module = 313;

    /// <summary>finit_module(2); EEXIST means it is loaded already.</summary>
    public static void FInitModule(int fd, string parameters, string module)
    {
        fixed (byte* p = Z(parameters))
        {
            if ((long)(ssize_t)syscall(SYS_finit_module, fd, p, 0) < 0) throw new SysException("finit_module", module, errno);
        }
    }

    [LibraryImport("libc", EntryPoint = "waitpid", SetLastError = true)]
    private static partial int waitpid_native(int pid, int* status, int options);


    /// <summary>waitpid(2): the child that changed and its raw status; with <paramref name="noHang"/>, null when none has.</summary>
    public static (int Pid, int Status)? WaitPid(int pid, bool noHang = false)
    {
        int status = 0;
        int result;
        do
        {
            result = waitpid_native(pid, &status, noHang ? WNOHANG : 0);
        } while (result < 0 && Marshal.GetLastPInvokeError() == Errno.EINTR);
        if (result < 0) throw new SysException("waitpid", pid.ToString(), Marshal.GetLastPInvokeError());
        return result == 0 ? null : (result, status);
    }

    public const int WNOHANG = 1;

    /// <summary>Pins each string as a NUL-terminated UTF-8 array; the pointer array ends in NULL, as execve wants.</summary>
    private static nint[] PinStrings(string[] values, List<GCHandle> handles) =>
        values.Select(v =>
        {
            var handle = GCHandle.Alloc(Z(v), GCHandleType.Pinned);
            handles.Add(handle);
            return handle.AddrOfPinnedObject();
        }).Append(0).ToArray();

    /// <summary>
    /// execve(2) in this process, with default signal dispositions, an empty mask and transparent
    /// huge pages allowed for the new program; returns only by throwing, with this process's state as it was.
    /// </summary>
    public static void Exec(string path, string[] argv, string[] environment)
    {
        var handles = new List<GCHandle>();
        int error;
        fixed (byte* p = Z(path))
        fixed (nint* a = PinStrings(argv, handles))
        fixed (nint* e = PinStrings(environment, handles))
        {
            bool hugePagesDisabled = HugePagesDisabled();
            if (hugePagesDisabled) SetHugePagesDisabled(false);
            var saved = ResetSignalsForExec();
            execve(p, (byte**)a, (byte**)e);
            error = errno;
            RestoreSignals(saved);
            if (hugePagesDisabled) SetHugePagesDisabled(true);
        }
        foreach (var h in handles) h.Free();
        throw new SysException("execve", path, error);
    }
}
