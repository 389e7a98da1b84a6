using System.Diagnostics;
using Microsoft.Extensions.Logging;
using SmbRoot.Boot;
using SmbRoot.Core.Plan;
using SmbRoot.Core.Shutdown;
using SmbRoot.Guard;
using SmbRoot.Handoff;
using SmbRoot.Interop;
using SmbRoot.Logging;
using SmbRoot.Shutdown;
using SmbRoot.Switch;

namespace SmbRoot;

public static class Program
{
    public const string Version = "0.1.0";

    /// <summary>Runs from the first instruction of Main: /init's own start, for the boot's timing line.</summary>
    public static Stopwatch SinceStart { get; } = Stopwatch.StartNew();

    private static KernelConsoleLoggerProvider? _logging;
    private static ILogger? _log;

    // Made on first use: the commands that need no log (the client, --enter-system) start without building it.
    private static KernelConsoleLoggerProvider Logging => _logging ??= new();
    public static ILogger Log => _log ??= new LoggerFactory([Logging]).CreateLogger("smbroot");

    private const string Usage = """
        smbroot 0.1.0 - boot Linux from a filesystem image on an SMB share

        As PID 1 (/init in the initramfs) it reads /proc/cmdline and boots; see README.md for the keys:
          root=cifs://[user@]server[:port]/share/dir/image.img   image file, attached through a loop device
                                                                 (server: a name, 192.0.2.5, [2001:db8::5] or [fe80::1%eth0])
          root=cifs://[user@]server[:port]/share/dir/            the share directory itself is the root
          root=cifs://server/share/golden/current                a pointer file (under 4 KiB): its one line names the image beside it
          ip=dhcp | ip=DEVICE:dhcp | no ip=                      DHCP (on the NIC that BOOTIF=, the device, or the first link names)
          ip=auto6 | ip=dhcp6 | ip=either6 | ip=DEVICE:auto6     IPv6: SLAAC, DHCPv6, or whichever gives an address first
          ip=dhcp,auto6 | ip=DEVICE:dhcp,dhcp6                   dual stack (a global IPv6 server address is tried before IPv4)
          ip=client:peer:gateway:netmask:hostname:device:off[:dns0:dns1]   static network configuration
          ip=[2001:db8::5]::[fe80::1]:64:host:eth0:off           static IPv6 (addresses in brackets, a prefix length)
          BOOTIF=01-aa-bb-cc-dd-ee-ff                             the NIC to use (PXE)
          rootfstype= rootflags= ro rw rd.cifs.opts= rd.cifs.credentials= init=
          rd.cifs.integrity=sign|seal|off                        SMB signing (default), SMB3 encryption, or neither (labs only)
          rd.retry=SECONDS rd.shell rd.break=pre-mount|pre-switch rd.debug smbroot.mode=auto|guard|handoff
          smbroot.halt=poweroff|halt
          rd.fence.deadline=60 rd.fence.margin=10 rd.fence.watchdog=softdog|none   (the defaults)
                                                       a read-write holder that cannot renew its claim for the deadline
                                                       reboots itself; another machine waits deadline+margin of silence
          rd.overlay=tmpfs[:size=N%|NM|NG]             the image is a shared read-only golden image under a tmpfs
                                                       layer of this machine's own (default size 50% of RAM)
          rd.overlay=cifs://server/share/dir/{mac}.img [rd.overlay.create=8G] [rd.overlay.reset]
                                                       ... or under a persistent ext4 layer in an image file on the
                                                       root's share ({mac}, {hostname}, {ip}), locked and fenced like a
                                                       read-write root; create= makes it (sparse) when missing; a layer
                                                       is refused over another golden image until reset starts it afresh

        Run by hand:
          smbroot --check-cmdline "root=... ip=..."   show the boot plan for a command line, or what is wrong with it
          smbroot --version
          smbroot --help
        In a system booted in guard mode (as /run/initramfs/init, root only):
          init status                                  mode, root, image, loop device, share, network, the system's init
          init relinquish [--poweroff|--reboot|--halt|--kexec|--kexec=next] [--timeout SECONDS]
                                                       ask the system's init to shut down its own way, then release
                                                       the root (default --poweroff, 90 s before PID 1 stops the rest);
                                                       --kexec=next: into IMAGE.vmlinuz and IMAGE.initrd beside the image
                                                       the root's pointer names now, with this boot's command line
        As the final stage (/run/initramfs/shutdown, run as PID 1 by systemd or by guard mode):
          shutdown reboot|poweroff|halt|kexec [systemd's --log-*, --timeout=, --exit-code= options]
                                                       kexec: the kernel loaded for it (kexec -l, systemctl kexec), or a
                                                       reboot when /sys/kernel/kexec_loaded says none is
                   [--holder-fd=N]                     guard mode's: the holder record's open file, released through it
        Internal: --enter-system INIT ARGS (guard mode's namespace setup), --reboot-syscall N, --hold and --hold-twin
          (handoff mode's claim keeper and its twin, both shown as @smbroot-holder)
        """;

    public static int Main(string[] args)
    {
        _ = SinceStart;
        var commandLine = Environment.GetCommandLineArgs();
        switch (args)
        {
            case [Sys.RebootHelperCommand, var command] when int.TryParse(command, out int number):
                Sys.Reboot(number);
                return 1;
            case [EnterSystem.Command, .. var init]:
                return EnterSystem.Run(init);
            case [HolderHelper.Command, .. var holding]:
                return HolderHelper.Run(holding, Log);
            case [HolderTwin.Command, .. var twin]:
                return HolderTwin.Run(twin, Log);
        }
        if (Sys.GetPid() == 1)
        {
            if (Path.GetFileName(commandLine[0]) == "shutdown" && args.Length > 0 && FinalStageArguments.IsVerb(args[0]))
            {
                RunFinalStage(args);
            }
            RunAsPid1();
        }
        return RunCommand(args);
    }

    private static int RunCommand(string[] args)
    {
        switch (args)
        {
            case ["--help" or "-h" or "help"]:
                Console.Out.Write(Usage);
                return 0;
            case ["--version"]:
                Console.Out.WriteLine("smbroot " + Version);
                return 0;
            case ["--check-cmdline", var text]:
                try
                {
                    Console.Out.WriteLine(BootPlan.Parse(KernelCommandLine.Parse(text)).Describe());
                    return 0;
                }
                catch (PlanException e)
                {
                    Console.Error.WriteLine("smbroot: the command line has problems:\n  " + e.Message.Replace("\n", "\n  "));
                    return 2;
                }
            case ["status"]:
                return ControlClient.Status();
            case ["relinquish", .. var options]:
                return ControlClient.Relinquish(options);
            default:
                Console.Error.Write("smbroot: unknown command line\n\n" + Usage);
                return 2;
        }
    }

    /// <summary>PID 1 as the final stage: never returns; whatever fails, the machine still ends as asked.</summary>
    private static void RunFinalStage(string[] args)
    {
        var verb = ShutdownVerb.PowerOff;
        try
        {
            var arguments = FinalStageArguments.Parse(args);
            verb = arguments.Verb;
            new FinalStage(Log, Logging).Run(arguments);
            verb = verb.Final(KexecLoaded(), out string? note);
            if (note is not null) Log.Warn("final: " + note);
        }
        catch (Exception e)
        {
            try { Log.Error($"final: unexpected {e.GetType().Name}: {e.Message}; going on to {verb.Name()}"); }
            catch { /* no log: nothing to do about it */ }
        }
        Sys.RebootUntilDone(verb);
    }

    /// <summary>Whether a kernel is loaded for kexec (sysfs-kernel: /sys/kernel/kexec_loaded).</summary>
    private static bool KexecLoaded()
    {
        try { return File.ReadAllText("/sys/kernel/kexec_loaded").Trim() == "1"; }
        catch (IOException) { return false; }
    }

    /// <summary>PID 1: never returns and never lets an exception out, because the kernel panics when init exits.</summary>
    private static void RunAsPid1()
    {
        EarlySetup.SeedRandomWithoutDevice();
        try
        {
            Sys.SetHugePagesDisabled(true);
        }
        catch (SysException)
        {
            // A kernel without the setting: PID 1 runs as before, it only costs memory.
        }
        var early = EarlySetup.Run();
        Logging.AttachKernelLog();
        Log.Say($"SmbRoot {Version} starting");
        foreach (var failure in early) Log.Error("early setup: " + failure);
        if (early.Count > 0) Log.Error("  check: the kernel's proc, sysfs, devtmpfs and tmpfs (CONFIG_DEVTMPFS, CONFIG_TMPFS); the boot goes on and may fail later");
        while (true)
        {
            try
            {
                if (Boot() is { } booted) SystemPhase.Run(booted.Context, booted.Root);
            }
            catch (Exception e)
            {
                try { Log.Error($"unexpected {e.GetType().Name}: {e.Message}\n{e.StackTrace}"); }
                catch { /* logging itself failed: nothing left to report to */ }
                Thread.Sleep(TimeSpan.FromSeconds(5));
            }
        }
    }

    /// <summary>The boot phase: plan, then the steps. Returns what was built, or null after the fallback the console chose.</summary>
    private static (BootContext Context, BootedRoot Root)? Boot()
    {
        string cmdline = File.ReadAllText("/proc/cmdline").Trim();
        var parsed = KernelCommandLine.Parse(cmdline);
        BootPlan plan;
        try
        {
            plan = BootPlan.Parse(parsed);
        }
        catch (PlanException e)
        {
            foreach (var line in e.Message.Split('\n')) Log.Error("command line: " + line);
            Log.Error("  check: the kernel command line in the boot loader (GRUB, PXE); see 'smbroot --help'");
            Finish(Fallback.AfterFailure(null, parsed.Has("rd.shell")));
            return null;
        }
        if (plan.Debug) Logging.MinimumLevel = LogLevel.Debug;
        foreach (var line in plan.Describe().Split('\n')) Log.Say(line);

        string release = File.ReadAllText("/proc/sys/kernel/osrelease").Trim();
        var context = new BootContext(plan, Log, Logging, new ModuleLoader(Log, release));
        switch (new BootRunner(context).Run())
        {
            case BootRunner.Outcome.Booted { Attempt: var a, Timeline: var timeline }:
                return (context, new BootedRoot(a.Network!, a.Share!, a.Image, a.Layer?.Loop, a.Claim, a.Root!, timeline));
            case BootRunner.Outcome.GaveUp gaveUp:
                Finish(gaveUp.Choice);
                return null;
            default:
                return null;
        }
    }

    private static void Finish(Fallback.Choice choice)
    {
        switch (choice)
        {
            case Fallback.Choice.Reboot:
                Log.Say("rebooting");
                Sys.Reboot(Sys.RB_AUTOBOOT);
                break;
            case Fallback.Choice.PowerOff:
                Log.Say("powering off");
                Sys.Reboot(Sys.RB_POWER_OFF);
                break;
        }
    }
}
