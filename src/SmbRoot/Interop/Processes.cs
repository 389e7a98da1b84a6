using System.Runtime.InteropServices;
using static Tmds.Linux.LibC;
using SmbRoot.Core.Kernel;

namespace SmbRoot.Interop;

/// <summary>Processes, signals and namespaces: what guard mode and the final stage need.</summary>
public static unsafe partial class Sys
{
    public const int SIGHUP = 1, SIGINT = 2, SIGKILL = 9, SIGUSR1 = 10, SIGUSR2 = 12, SIGTERM = 15, SIGCHLD = 17, SIGSTOP = 19, SIGPWR = 30;
    public const int CLONE_NEWNS = 0x00020000, CLONE_NEWPID = 0x20000000;
    public const int LINUX_REBOOT_CMD_CAD_OFF = 0;

    [LibraryImport("libc", EntryPoint = "posix_spawn", SetLastError = true)]
    private static partial int posix_spawn_native(int* pid, byte* path, void* fileActions, void* attributes, byte** argv, byte** envp);

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int kill_native(int pid, int signal);

    public const int PR_SET_THP_DISABLE = 41, PR_GET_THP_DISABLE = 42;

    [LibraryImport("libc", EntryPoint = "prctl", SetLastError = true)]
    private static partial int prctl_native(int option, ulong arg2, ulong arg3, ulong arg4, ulong arg5);

    /// <summary>
    /// prctl(2) PR_SET_THP_DISABLE for this process. PID 1 turns transparent huge pages off for
    /// itself: with THP "always" (Debian's kernels), khugepaged turns any 2 MiB range in which one
    /// page is in use into a huge page (mm/khugepaged.c: max_ptes_none is 511 by default), so a
    /// small PID 1 that lives for months would grow by 2 MiB a range at a time. The setting is
    /// inherited by fork(2) and kept across execve(2): <see cref="Exec"/> gives the program it
    /// starts the kernel's default back.
    /// </summary>
    public static void SetHugePagesDisabled(bool disabled) =>
        Check(prctl_native(PR_SET_THP_DISABLE, disabled ? 1UL : 0UL, 0, 0, 0), "prctl", "PR_SET_THP_DISABLE");

    private static bool HugePagesDisabled() => prctl_native(PR_GET_THP_DISABLE, 0, 0, 0, 0) == 1;

    // x86_64 (arch/x86/entry/syscalls/syscall_64.tbl); glibc has no wrapper for pivot_root.
    public const int SYS_pivot_root = 155;

    /// <summary>
    /// posix_spawn(3): glibc creates the child with clone(CLONE_VM|CLONE_VFORK) and runs execve in
    /// native code, so no managed code ever runs in a forked copy of this multi-threaded runtime.
    /// The child starts with default signal dispositions and an empty mask. Returns its pid.
    /// </summary>
    public static int Spawn(string path, string[] argv, string[] environment)
    {
        var handles = new List<GCHandle>();
        try
        {
            int pid;
            int error;
            byte* attributes = CleanSignalSpawnAttributes();
            fixed (byte* p = Z(path))
            fixed (nint* a = PinStrings(argv, handles))
            fixed (nint* e = PinStrings(environment, handles))
            {
                error = posix_spawn_native(&pid, p, null, attributes, (byte**)a, (byte**)e);
            }
            FreeSpawnAttributes(attributes);
            if (error != 0) throw new SysException("posix_spawn", path, error);
            return pid;
        }
        finally
        {
            foreach (var h in handles) h.Free();
        }
    }

    /// <summary>
    /// Spawns <paramref name="path"/> as PID 1 of a new PID namespace. unshare(CLONE_NEWPID) only
    /// changes where this thread's next children go (kernel/nsproxy.c); the namespace is put back
    /// right after, so later children (the reboot helper of the final stage) are ordinary ones.
    /// </summary>
    public static int SpawnInNewPidNamespace(string path, string[] argv, string[] environment)
    {
        int own = Open("/proc/self/ns/pid", O_RDONLY);
        try
        {
            if (unshare(CLONE_NEWPID) < 0) throw new SysException("unshare", "CLONE_NEWPID", errno);
            try
            {
                return Spawn(path, argv, environment);
            }
            finally
            {
                if (setns(own, CLONE_NEWPID) < 0) throw new SysException("setns", "own PID namespace", errno);
            }
        }
        finally
        {
            Close(own);
        }
    }

    /// <summary>unshare(2) for this thread, e.g. CLONE_NEWNS before exec.</summary>
    public static void Unshare(int flags)
    {
        if (unshare(flags) < 0) throw new SysException("unshare", flags.ToString("x"), errno);
    }

    /// <summary>kill(2). ESRCH (the process is gone) is an answer callers often expect.</summary>
    public static void Kill(int pid, int signal)
    {
        if (kill_native(pid, signal) < 0) throw new SysException("kill", $"{pid}, signal {signal}", Marshal.GetLastPInvokeError());
    }

    /// <summary>kill(2) to a process that may have exited already; says whether it got the signal.</summary>
    public static bool Signal(int pid, int signal)
    {
        try
        {
            Kill(pid, signal);
            return true;
        }
        catch (SysException e) when (e.Errno == Errno.ESRCH)
        {
            return false; // gone: its exit is on its way to its parent
        }
    }

    /// <summary>
    /// Makes /proc/self/cmdline read <paramref name="name"/> alone, as setproctitle() does: that
    /// memory (proc(5): arg_start and arg_end, fields 48 and 49 of /proc/self/stat) is cleared and the
    /// name written at its start. The runtime copied its arguments at startup; only readers of
    /// /proc (ps, systemd) see these bytes now. A name longer than the arguments is left unwritten.
    /// </summary>
    public static void ShowCommandLineAs(string name)
    {
        string stat = File.ReadAllText("/proc/self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // fields[0] is field 3 (state): field N is fields[N - 3].
        ulong start = ulong.Parse(fields[48 - 3], System.Globalization.CultureInfo.InvariantCulture);
        ulong end = ulong.Parse(fields[49 - 3], System.Globalization.CultureInfo.InvariantCulture);
        var bytes = Z(name);
        if ((ulong)bytes.Length > end - start) return;
        var arguments = new Span<byte>((void*)start, (int)(end - start));
        arguments.Clear();
        bytes.CopyTo(arguments);
    }

    public static void PivotRoot(string newRoot, string putOld)
    {
        fixed (byte* n = Z(newRoot))
        fixed (byte* o = Z(putOld))
        {
            if ((long)syscall(SYS_pivot_root, n, o) < 0) throw new SysException("pivot_root", newRoot, errno);
        }
    }

    /// <summary>reboot(LINUX_REBOOT_CMD_CAD_OFF): ctrl-alt-del becomes SIGINT to PID 1 instead of an instant reboot.</summary>
    public static void DisableCtrlAltDel()
    {
        if (reboot_native(LINUX_REBOOT_CMD_CAD_OFF) < 0) throw new SysException("reboot", "CAD_OFF", Marshal.GetLastPInvokeError());
    }
}
