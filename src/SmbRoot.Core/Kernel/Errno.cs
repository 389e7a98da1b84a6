namespace SmbRoot.Core.Kernel;

/// <summary>Names and meanings of the errno values the boot can meet (asm-generic/errno*.h).</summary>
public static class Errno
{
    public const int EPERM = 1, ENOENT = 2, ESRCH = 3, EINTR = 4, EIO = 5, ENXIO = 6, ENOEXEC = 8, EBADF = 9,
        ECHILD = 10, EAGAIN = 11, ENOMEM = 12, EACCES = 13, EBUSY = 16, EEXIST = 17, ENODEV = 19, ENOTDIR = 20,
        EISDIR = 21, EINVAL = 22, ETXTBSY = 26, ENOSPC = 28, EROFS = 30, EPIPE = 32, ENAMETOOLONG = 36, ENOSYS = 38,
        ENOTEMPTY = 39, ELOOP = 40, ENOKEY = 126, EOPNOTSUPP = 95, EAFNOSUPPORT = 97, EADDRNOTAVAIL = 99, ENETDOWN = 100, ENETUNREACH = 101,
        ECONNABORTED = 103, ECONNRESET = 104, ETIMEDOUT = 110, ECONNREFUSED = 111, EHOSTDOWN = 112,
        EHOSTUNREACH = 113, EINPROGRESS = 115, ESTALE = 116, EREMOTEIO = 121, EKEYREJECTED = 129;

    private static readonly Dictionary<int, (string Name, string Text)> Table = new()
    {
        [EPERM] = ("EPERM", "operation not permitted"), [ENOENT] = ("ENOENT", "no such file or directory"),
        [ESRCH] = ("ESRCH", "no such process"), [EINTR] = ("EINTR", "interrupted"), [EIO] = ("EIO", "input/output error"),
        [ENXIO] = ("ENXIO", "no such device or address"), [ENOEXEC] = ("ENOEXEC", "exec format error"),
        [EBADF] = ("EBADF", "bad file descriptor"), [ECHILD] = ("ECHILD", "no child processes"),
        [EAGAIN] = ("EAGAIN", "try again"), [ENOMEM] = ("ENOMEM", "out of memory"),
        [EACCES] = ("EACCES", "permission denied"), [EBUSY] = ("EBUSY", "device or resource busy"),
        [EEXIST] = ("EEXIST", "already exists"), [ENODEV] = ("ENODEV", "no such device"),
        [ENOTDIR] = ("ENOTDIR", "not a directory"), [EISDIR] = ("EISDIR", "is a directory"),
        [EINVAL] = ("EINVAL", "invalid argument"), [ETXTBSY] = ("ETXTBSY", "text file busy"),
        [ENOSPC] = ("ENOSPC", "no space left on device"), [EROFS] = ("EROFS", "read-only filesystem"), [EPIPE] = ("EPIPE", "broken pipe"),
        [ENAMETOOLONG] = ("ENAMETOOLONG", "file name too long"), [ENOSYS] = ("ENOSYS", "function not implemented"),
        [ENOTEMPTY] = ("ENOTEMPTY", "directory not empty"), [ELOOP] = ("ELOOP", "too many levels of symbolic links"), [EOPNOTSUPP] = ("EOPNOTSUPP", "operation not supported"),
        [EAFNOSUPPORT] = ("EAFNOSUPPORT", "address family not supported"), [EADDRNOTAVAIL] = ("EADDRNOTAVAIL", "address not available"), [ENETDOWN] = ("ENETDOWN", "network is down"),
        [ENETUNREACH] = ("ENETUNREACH", "network is unreachable"), [ECONNABORTED] = ("ECONNABORTED", "connection aborted"),
        [ECONNRESET] = ("ECONNRESET", "connection reset by peer"), [ETIMEDOUT] = ("ETIMEDOUT", "connection timed out"),
        [ECONNREFUSED] = ("ECONNREFUSED", "connection refused"), [EHOSTDOWN] = ("EHOSTDOWN", "host is down"),
        [EHOSTUNREACH] = ("EHOSTUNREACH", "no route to host"), [EINPROGRESS] = ("EINPROGRESS", "operation in progress"),
        [ESTALE] = ("ESTALE", "stale file handle"), [EREMOTEIO] = ("EREMOTEIO", "remote I/O error"),
        [ENOKEY] = ("ENOKEY", "required key not available"), [EKEYREJECTED] = ("EKEYREJECTED", "key was rejected by service"),
    };

    public static string Describe(int errno) =>
        Table.TryGetValue(errno, out var e) ? $"{e.Text} ({e.Name})" : $"error {errno}";
}
