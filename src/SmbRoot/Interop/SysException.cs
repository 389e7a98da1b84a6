

namespace SmbRoot.Interop;

/// <summary>A failed system call: which call, on what, and the errno.</summary>
public sealed class SysException(string call, string target, int errno)
    : Exception($"{call}({target}): {Core.Sys.Errno.Describe(errno)}")
{
    public string Call { get; } = call;
    public int Errno { get; } = errno;
}
