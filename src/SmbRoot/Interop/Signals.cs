using System.Runtime.InteropServices;
using static Tmds.Linux.LibC;

namespace SmbRoot.Interop;

/// <summary>
/// A clean signal state for every program SmbRoot starts. The .NET runtime ignores SIGPIPE, and
/// glibc's posix_spawn sets its internal signal 32 (SIGCANCEL) to SIG_IGN in the child
/// (sysdeps/unix/sysv/linux/spawni.c); an ignored disposition and the signal mask both survive
/// execve(2) (signal(7), "Signal mask and pending signals"; execve(2), "ignored signals").
/// A system started with SIGPIPE ignored has `yes | head` spin forever.
/// </summary>
public static unsafe partial class Sys
{
    public const int POSIX_SPAWN_SETSIGDEF = 0x04, POSIX_SPAWN_SETSIGMASK = 0x08;
    public const int SIG_SETMASK = 2;

    /// <summary>Signals 1..64 (_NSIG - 1 on x86_64, include/uapi/asm-generic/signal.h).</summary>
    public const int LastSignal = 64;

    // x86_64 (arch/x86/entry/syscalls/syscall_64.tbl). Raw calls, because glibc's sigaction refuses
    // its internal signals 32 and 33 (EINVAL), which are exactly the ones it may have left ignored.
    public const int SYS_rt_sigaction = 13, SYS_rt_sigprocmask = 14;

    /// <summary>The kernel's struct sigaction for rt_sigaction(2) on x86_64 (kernel_sigaction, 8-byte mask).</summary>
    [StructLayout(LayoutKind.Sequential)]
    internal struct KernelSigaction
    {
        public nint Handler;
        public ulong Flags;
        public nint Restorer;
        public ulong Mask;
    }

    private const nint SIG_DFL = 0, SIG_IGN = 1;

    /// <summary>glibc's sigset_t is 1024 bits; posix_spawnattr_t is 336 bytes (bits/types/sigset_t.h, spawn.h).</summary>
    public const int SigsetBytes = 128, SpawnAttributeBytes = 336;

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_init")]
    private static partial int posix_spawnattr_init(byte* attributes);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_destroy")]
    private static partial int posix_spawnattr_destroy(byte* attributes);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_setflags")]
    private static partial int posix_spawnattr_setflags(byte* attributes, short flags);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_setsigdefault")]
    private static partial int posix_spawnattr_setsigdefault(byte* attributes, byte* signals);

    [LibraryImport("libc", EntryPoint = "posix_spawnattr_setsigmask")]
    private static partial int posix_spawnattr_setsigmask(byte* attributes, byte* signals);

    /// <summary>
    /// Spawn attributes that give the child SIG_DFL for every signal and an empty mask: the state a
    /// program gets from any init (busybox, s6, tini). Freed with <see cref="FreeSpawnAttributes"/>.
    /// </summary>
    private static byte* CleanSignalSpawnAttributes()
    {
        var attributes = (byte*)NativeMemory.AllocZeroed(SpawnAttributeBytes);
        byte* every = stackalloc byte[SigsetBytes];
        byte* none = stackalloc byte[SigsetBytes];
        new Span<byte>(every, SigsetBytes).Fill(0xFF);
        new Span<byte>(none, SigsetBytes).Clear();
        // These cannot fail for a valid attribute object and a flag set glibc knows (posix_spawnattr_init(3)).
        _ = posix_spawnattr_init(attributes);
        _ = posix_spawnattr_setsigdefault(attributes, every);
        _ = posix_spawnattr_setsigmask(attributes, none);
        _ = posix_spawnattr_setflags(attributes, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
        return attributes;
    }

    private static void FreeSpawnAttributes(byte* attributes)
    {
        _ = posix_spawnattr_destroy(attributes);
        NativeMemory.Free(attributes);
    }

    /// <summary>What <see cref="ResetSignalsForExec"/> changed, so a failed exec can put it back.</summary>
    private readonly record struct SavedSignals(ulong Ignored, ulong Mask);

    /// <summary>
    /// Before execve(2) in this process: every ignored signal back to SIG_DFL, the mask emptied.
    /// Handlers need nothing: execve resets them to SIG_DFL itself.
    /// </summary>
    private static SavedSignals ResetSignalsForExec()
    {
        ulong ignored = 0;
        var defaultAction = new KernelSigaction { Handler = SIG_DFL };
        for (int signal = 1; signal <= LastSignal; signal++)
        {
            KernelSigaction current;
            if ((long)syscall(SYS_rt_sigaction, signal, null, &current, sizeof(ulong)) < 0 || current.Handler != SIG_IGN) continue;
            if ((long)syscall(SYS_rt_sigaction, signal, &defaultAction, null, sizeof(ulong)) == 0) ignored |= 1UL << (signal - 1);
        }
        ulong empty = 0, mask = 0;
        _ = syscall(SYS_rt_sigprocmask, SIG_SETMASK, &empty, &mask, sizeof(ulong));
        return new SavedSignals(ignored, mask);
    }

    private static void RestoreSignals(SavedSignals saved)
    {
        var ignoreAction = new KernelSigaction { Handler = SIG_IGN };
        for (int signal = 1; signal <= LastSignal; signal++)
        {
            if ((saved.Ignored & (1UL << (signal - 1))) != 0) _ = syscall(SYS_rt_sigaction, signal, &ignoreAction, null, sizeof(ulong));
        }
        ulong mask = saved.Mask;
        _ = syscall(SYS_rt_sigprocmask, SIG_SETMASK, &mask, null, sizeof(ulong));
    }
}
