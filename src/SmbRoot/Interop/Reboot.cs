using System.Runtime.InteropServices;
using SmbRoot.Core.Kernel;
using static Tmds.Linux.LibC;

namespace SmbRoot.Interop;

/// <summary>reboot(2) and the ways PID 1 ends the machine with it.</summary>
public static unsafe partial class Sys
{
    [LibraryImport("libc", EntryPoint = "reboot", SetLastError = true)]
    private static partial int reboot_native(int command);

    // x86_64 (arch/x86/entry/syscalls/syscall_64.tbl); glibc has no wrapper for kexec_file_load.
    public const int SYS_kexec_file_load = 320;

    /// <summary>
    /// kexec_file_load(2): the kernel reads <paramref name="kernelFd"/> and <paramref name="initrdFd"/>
    /// now, checks the kernel (signature, lockdown: EPERM, EKEYREJECTED) and keeps it for
    /// <see cref="RB_KEXEC"/>, with <paramref name="commandLine"/>.
    /// </summary>
    public static void KexecFileLoad(int kernelFd, int initrdFd, string commandLine)
    {
        var line = Z(commandLine);
        fixed (byte* l = line)
        {
            if ((long)syscall(SYS_kexec_file_load, kernelFd, initrdFd, line.Length, l, 0) < 0) throw new SysException("kexec_file_load", "the next kernel", errno);
        }
    }

    public const int RB_AUTOBOOT = 0x01234567, RB_HALT_SYSTEM = unchecked((int)0xcdef0123), RB_POWER_OFF = 0x4321fedc, RB_KEXEC = 0x45584543;

    /// <summary>
    /// reboot(2). A restart or a kexec never comes back (a kexec that fails returns its error). For halt and power-off the kernel calls do_exit()
    /// once the machine is stopped (kernel/reboot.c), which for PID 1 is a panic, so those go
    /// through a child: this binary again, started with posix_spawn (busybox init forks for the
    /// same reason, but a fork of the .NET runtime must not run managed code).
    /// </summary>
    public static void Reboot(int command)
    {
        sync();
        if (command is RB_AUTOBOOT or RB_KEXEC || GetPid() != 1)
        {
            reboot_native(command);
            throw new SysException("reboot", command.ToString("x"), Marshal.GetLastPInvokeError());
        }
        int child = Spawn("/proc/self/exe", ["smbroot", RebootHelperCommand, command.ToString()], []);
        WaitPid(child);
        throw new SysException("reboot", command.ToString("x"), Errno.EPERM);
    }

    /// <summary>Restarts at once, without sync(2): for fencing, where a sync could block on the share, or write to an image this machine no longer owns.</summary>
    public static void RebootNow()
    {
        reboot_native(RB_AUTOBOOT);
        throw new SysException("reboot", "RB_AUTOBOOT", Marshal.GetLastPInvokeError());
    }

    /// <summary>reboot(2) for a shutdown verb.</summary>
    public static void Reboot(Core.Shutdown.ShutdownVerb verb) => Reboot(verb switch
    {
        Core.Shutdown.ShutdownVerb.Reboot => RB_AUTOBOOT,
        Core.Shutdown.ShutdownVerb.Kexec => RB_KEXEC,
        Core.Shutdown.ShutdownVerb.Halt => RB_HALT_SYSTEM,
        _ => RB_POWER_OFF,
    });

    /// <summary>
    /// The end of PID 1's road: reboot(2) for <paramref name="verb"/>, tried again every 10 s should
    /// it ever fail; a kexec that fails (the loaded kernel was unloaded) becomes a reboot. Never returns.
    /// </summary>
    public static void RebootUntilDone(Core.Shutdown.ShutdownVerb verb)
    {
        while (true)
        {
            try { Reboot(verb); }
            catch (SysException) when (verb == Core.Shutdown.ShutdownVerb.Kexec) { verb = Core.Shutdown.ShutdownVerb.Reboot; continue; }
            catch (SysException) { /* tried again below */ }
            Thread.Sleep(TimeSpan.FromSeconds(10));
        }
    }

    /// <summary>The hidden command line of the child that <see cref="Reboot(int)"/> starts.</summary>
    public const string RebootHelperCommand = "--reboot-syscall";
}
