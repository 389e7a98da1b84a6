using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Logging;
using SmbRoot.Boot;
using SmbRoot.Core.Netlink;
using SmbRoot.Core.Shutdown;
using SmbRoot.Core.State;
using SmbRoot.Core.Sys;
using SmbRoot.Interop;
using SmbRoot.Logging;

namespace SmbRoot.Shutdown;

/// <summary>
/// Steps 11-12: PID 1 in the retained ramdisk, the old root at /oldroot. Unmount the old root
/// tree deepest first, detach the loop device (its file is the SMB handle: closing it releases
/// the image and its locks on the server), unmount the share (tree disconnect and logoff), and
/// only then take the network down and call reboot(2). Each step that fails is retried until the
/// deadline and reported; the steps after it still run.
/// </summary>
public sealed class FinalStage(ILogger log, KernelConsoleLoggerProvider logging)
{
    private const string OldRoot = "/oldroot";
    private const string Share = "/share";
    private readonly List<string> _problems = [];

    public void Run(FinalStageArguments arguments)
    {
        EarlySetup.MountOnce("proc", "/proc", "proc", 2 | 4 | 8, null);
        EarlySetup.MountOnce("sysfs", "/sys", "sysfs", 2 | 4 | 8, null);
        EarlySetup.MountOnce("devtmpfs", "/dev", "devtmpfs", 2, "mode=0755");
        logging.AttachKernelLog();
        foreach (var note in arguments.Notes) log.Say("final: " + note);
        var clock = Stopwatch.StartNew();

        BootState? state = null;
        try { state = BootState.Parse(File.ReadAllText("/smbroot.state")); }
        catch (Exception e) when (e is IOException or FormatException) { Problem($"cannot read /smbroot.state ({e.Message}); releasing what mountinfo shows"); }

        var deadline = Stopwatch.StartNew();
        if (state is not null) RestoreNetwork(state);
        Sys.Mount(null, "/", null, Sys.MS_REC | Sys.MS_PRIVATE, null);
        MoveShareOut(state);
        UnmountOldRoot(arguments.Timeout, deadline);
        if (state?.LoopDevice is { } loop) DetachLoop(loop, arguments.Timeout, deadline);
        UnmountShare(arguments.Timeout, deadline);
        if (state is not null) NetworkDown(state);

        log.Say(_problems.Count == 0
            ? $"final: the root is released (image closed, share unmounted) in {clock.Elapsed.TotalSeconds:0.0}s; {arguments.Verb.Name()}"
            : $"final: {_problems.Count} problem(s) above; going on to {arguments.Verb.Name()}");
        Sys.Reboot(arguments.Verb);
    }

    private void Problem(string message)
    {
        _problems.Add(message);
        log.Error("final: " + message);
    }

    private static IReadOnlyList<MountEntry> Mounts() => MountTable.Parse(File.ReadAllText("/proc/self/mountinfo"));

    /// <summary>The share sits under the old root (/oldroot/run/initramfs/share); it must outlive it, so it moves here first.</summary>
    private void MoveShareOut(BootState? state)
    {
        string expected = OldRoot + (state?.ShareMountPoint ?? BootContext.ShareMountPoint);
        var share = Mounts().LastOrDefault(m => m.MountPoint == expected)
            ?? Mounts().LastOrDefault(m => m.FileSystemType is "cifs" or "smb3" && m.MountPoint.StartsWith(OldRoot + "/", StringComparison.Ordinal));
        if (share is null)
        {
            if (Mounts().Any(m => m.MountPoint == Share)) return;
            Problem($"no share mount at {expected}");
            return;
        }
        Sys.MakeDirectory(Share);
        try { Sys.Mount(share.MountPoint, Share, null, Sys.MS_MOVE, null); }
        catch (SysException e) { Problem($"moving the share out of the old root failed: {e.Message}"); }
    }

    private void UnmountOldRoot(TimeSpan timeout, Stopwatch deadline)
    {
        while (true)
        {
            var left = MountTable.UnmountOrder(Mounts(), OldRoot);
            if (left.Count == 0)
            {
                log.Say("final: old root unmounted");
                return;
            }
            bool progress = false;
            foreach (var mount in left)
            {
                try
                {
                    Sys.Unmount(mount.MountPoint);
                    progress = true;
                    log.Debug($"final: unmounted {mount.MountPoint}");
                }
                catch (SysException e) when (e.Errno == Errno.EBUSY && deadline.Elapsed < timeout)
                {
                }
                catch (SysException e)
                {
                    // What cannot go is at least made read-only, so the filesystem is clean on the image (s6's umountall does the same).
                    try { Sys.Mount(null, mount.MountPoint, null, Sys.MS_REMOUNT | Sys.MS_RDONLY, null); }
                    catch (SysException) { }
                    Problem($"cannot unmount {mount.MountPoint} ({mount.FileSystemType}): {e.Message}");
                    return;
                }
            }
            if (!progress) Thread.Sleep(200);
        }
    }

    private void DetachLoop(string device, TimeSpan timeout, Stopwatch deadline)
    {
        string backing = $"/sys/block/{Path.GetFileName(device)}/loop/backing_file";
        while (true)
        {
            try
            {
                Loop.Detach(device);
                break;
            }
            catch (SysException e) when (e.Errno == Errno.ENXIO)
            {
                // Already detached: systemd-shutdown detaches loop devices itself (src/shutdown/detach-loopback.c).
                break;
            }
            catch (SysException e) when (e.Errno == Errno.EBUSY && deadline.Elapsed < timeout)
            {
                Thread.Sleep(200);
            }
            catch (SysException e)
            {
                Problem($"detaching {device} failed: {e.Message}; the image stays open on the server");
                return;
            }
        }
        // LOOP_CLR_FD lets go of the file asynchronously (drivers/block/loop.c, __loop_clr_fd); wait until it has.
        while (File.Exists(backing) && deadline.Elapsed < timeout) Thread.Sleep(50);
        if (File.Exists(backing)) Problem($"{device} still holds {File.ReadAllText(backing).Trim()}");
        else log.Say($"final: {device} detached; the image is closed");
    }

    private void UnmountShare(TimeSpan timeout, Stopwatch deadline)
    {
        if (!Mounts().Any(m => m.MountPoint == Share)) return;
        while (true)
        {
            try
            {
                Sys.Unmount(Share);
                log.Say("final: share unmounted");
                return;
            }
            catch (SysException e) when (e.Errno == Errno.EBUSY && deadline.Elapsed < timeout)
            {
                Thread.Sleep(200);
            }
            catch (SysException e)
            {
                Problem($"unmounting the share failed: {e.Message}");
                return;
            }
        }
    }

    /// <summary>
    /// The share needs the network to close the image. A system's last script may have taken the
    /// interface down (sysvinit's halt -i, from Debian's /etc/init.d/halt; Slackware's rc.inet1 stop),
    /// and a link that goes down loses its routes (net/ipv4/fib_frontend.c, fib_disable_ip), so
    /// the link, the address and the default route are put back as the boot made them.
    /// </summary>
    private void RestoreNetwork(BootState state)
    {
        try
        {
            int index = InterfaceIndex(state);
            var (address, prefix) = ParseAddress(state);
            bool wasUp = (int.Parse(File.ReadAllText($"/sys/class/net/{state.Interface}/flags").Trim()[2..], System.Globalization.NumberStyles.HexNumber) & 1) != 0;
            Sockets.RouteRequest(RouteMessages.SetLinkUp(index, true, 1), 1, $"link up {state.Interface}");
            Sockets.RouteRequest(RouteMessages.AddAddress(index, address, prefix, 2), 2, $"address {address} on {state.Interface}");
            if (state.Gateway is { } gateway)
            {
                Sockets.RouteRequest(RouteMessages.AddRoute(index, IPAddress.Parse(gateway), null, 0, 3), 3, $"default route via {gateway}");
            }
            if (!wasUp) log.Say($"final: {state.Interface} was down (the system's shutdown took it down); brought it back up to release the share");
        }
        catch (Exception e) when (e is SysException or IOException or FormatException or ArgumentException)
        {
            Problem($"restoring the network on {state.Interface} failed: {e.Message}; releasing the share may hang");
        }
    }

    private static int InterfaceIndex(BootState state) => int.Parse(File.ReadAllText($"/sys/class/net/{state.Interface}/ifindex").Trim());

    private static (IPAddress Address, int Prefix) ParseAddress(BootState state)
    {
        var parts = state.Address.Split('/');
        return (IPAddress.Parse(parts[0]), int.Parse(parts[1]));
    }

    private void NetworkDown(BootState state)
    {
        try
        {
            int index = InterfaceIndex(state);
            var (address, prefix) = ParseAddress(state);
            Sockets.RouteRequest(RouteMessages.DeleteAddress(index, address, prefix, 1), 1, "remove address");
            Sockets.RouteRequest(RouteMessages.SetLinkUp(index, false, 2), 2, $"link down {state.Interface}");
            log.Say($"final: network down ({state.Interface})");
        }
        catch (Exception e) when (e is SysException or IOException or FormatException or IndexOutOfRangeException)
        {
            Problem($"taking {state.Interface} down failed: {e.Message}");
        }
    }
}
