using System.Diagnostics;
using System.Net;
using Microsoft.Extensions.Logging;
using SmbRoot.Boot;
using SmbRoot.Core.Shutdown;
using SmbRoot.Core.State;
using SmbRoot.Core.Sys;
using SmbRoot.Interop;
using SmbRoot.Logging;
using SmbRoot.Network;

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
        var network = state is null ? null : NetworkOf(state);
        if (network is not null) RestoreNetwork(network);
        Sys.Mount(null, "/", null, Sys.MS_REC | Sys.MS_PRIVATE, null);
        MoveShareOut(state);
        UnmountOldRoot(arguments.Timeout, deadline);
        if (state?.LoopDevice is { } loop) DetachLoop(loop, arguments.Timeout, deadline);
        UnmountShare(arguments.Timeout, deadline);
        if (network is not null) NetworkDown(network);

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
    /// so the link, the address and the default route are put back as the boot made them.
    /// </summary>
    private void RestoreNetwork(RootNetwork network)
    {
        try
        {
            var repairs = network.Restore();
            if (repairs.LinkWasDown) log.Say($"final: {network.Name} was down (the system's shutdown took it down); brought it back up to release the share");
            else if (repairs.Any) log.Say($"final: the address or route on {network.Name} was gone; put it back to release the share");
        }
        catch (Exception e) when (e is SysException or IOException or FormatException)
        {
            Problem($"restoring the network on {network.Name} failed: {e.Message}; releasing the share may hang");
        }
    }

    /// <summary>The root's network as the state file describes it, or null (reported) when it cannot be read.</summary>
    private RootNetwork? NetworkOf(BootState state)
    {
        var parts = state.Address.Split('/');
        if (parts.Length == 2 && IPAddress.TryParse(parts[0], out var address) && int.TryParse(parts[1], out int prefix))
        {
            return new RootNetwork(state.Interface, address, prefix, state.Gateway is { } g && IPAddress.TryParse(g, out var gateway) ? gateway : null);
        }
        Problem($"/smbroot.state: address '{state.Address}' is not ADDRESS/PREFIX; leaving the network as it is");
        return null;
    }

    private void NetworkDown(RootNetwork network)
    {
        try
        {
            network.Down();
            log.Say($"final: network down ({network.Name})");
        }
        catch (Exception e) when (e is SysException or IOException or FormatException)
        {
            Problem($"taking {network.Name} down failed: {e.Message}");
        }
    }
}
