namespace SmbRoot.Interop;

/// <summary>
/// A failed system call: which call, on what, and the errno. The interop layer's one error
/// convention: every failure throws this, and a caller that expects an errno names it in a catch
/// filter (<c>catch (SysException e) when (e.Errno == Errno.ESRCH)</c>). The only other answers
/// are "nothing now" from calls that are asked not to wait (accept, recv, waitpid with WNOHANG),
/// which return null.
/// </summary>
public sealed class SysException(string call, string target, int errno)
    : Exception($"{call}({target}): {Core.Kernel.Errno.Describe(errno)}")
{
    public string Call { get; } = call;
    public int Errno { get; } = errno;
}
