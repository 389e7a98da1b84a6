using System.Diagnostics;
using Microsoft.Extensions.Logging;
using SmbRoot.Boot;
using SmbRoot.Core.Fencing;
using SmbRoot.Core.Plan;
using SmbRoot.Core.Shutdown;
using SmbRoot.Core.State;
using SmbRoot.Fencing;
using SmbRoot.Handoff;
using SmbRoot.Interop;
using SmbRoot.Logging;
using SmbRoot.Network;
using SmbRoot.Resources;

namespace SmbRoot.Shutdown;

/// <summary>
/// Steps 11-12: PID 1 in the retained ramdisk, the old root at /oldroot. First what the boot
/// recorded, released in reverse with the same code the boot's undo uses: the old root's mount
/// tree, the loop device (its file is the SMB handle: detaching it closes the image and drops its
/// lock on the server), the share (tree disconnect and logoff). Then, as systemd-shutdown does,
/// a sweep of what the kernel still shows until a pass changes nothing. Only then the network
/// goes down. A step that fails is reported and the steps after it still run.
/// </summary>
public sealed class FinalStage(ILogger log, KernelConsoleLoggerProvider logging)
{
    private const string OldRoot = "/oldroot";
    private const string Share = "/share";
    private const string Records = "/records";
    private readonly List<string> _problems = [];

    public void Run(FinalStageArguments arguments)
    {
        var early = EarlySetup.MountKernelFilesystems();
        logging.AttachKernelLog();
        foreach (var failure in early) Problem("mounting the kernel filesystems: " + failure);
        foreach (var note in arguments.Notes) log.Say("final: " + note);
        var clock = Stopwatch.StartNew();
        var deadline = new Deadline(arguments.Timeout);

        var state = ReadState();
        // The fence first, from the running system's last proof: any step after it may block on the share.
        OwnershipFence? fence = null;
        if (state?.Claim is not null) Step("arming the fence", () => fence = ArmFence());
        var network = state?.Network is { } record ? new RootNetwork(record.Record) : null;
        if (network is not null) Step("restoring the network", () => RestoreNetwork(network));
        Step("making the mounts private", () => Sys.Mount(null, "/", null, Sys.MS_REC | Sys.MS_PRIVATE, null));
        ShareMount? share = null;
        Step("moving the share out of the old root", () => share = MoveShareOut(state?.Share));
        Step("stopping @smbroot-holder", HolderHelper.Stop);
        HolderGuard? claim = null;
        if (state?.Claim is { } held && (share is not null || arguments.HolderFd is not null))
        {
            Step("keeping the claim on the image", () => claim = KeepClaim(arguments, share, held.PathInShare, held.BootId, ref fence));
        }
        else if (arguments.HolderFd is int handed)
        {
            Step("closing the holder record's file", () => Sys.Close(handed));
        }

        if (arguments.LoadNext && share is not null) Step("loading the next version for kexec", () => LoadNext(share));

        string[] ours = [.. state?.Loops.Select(loop => loop.Device) ?? []];
        foreach (var step in Teardown.Order(state?.Things ?? []))
        {
            switch (step)
            {
                case Teardown.Step.UnmountOldRoot:
                    Release(new RootMount(OldRoot, "the old root", whenBusy: () => DetachOthers(ours)), deadline, "old root unmounted");
                    break;
                case Teardown.Step.DetachSystemLoops:
                    Step("detaching the system's own loop devices", () => DetachOthers(ours));
                    break;
                case Teardown.Step.Detach { Loop: var loop }:
                    Release(new LoopAttachment(loop.Device, loop.PathInShare, loop.FileSystem), deadline, $"{loop.Device} detached; the {loop.Role} is closed");
                    break;
                case Teardown.Step.Sweep:
                    Step("sweeping what is left", () => Sweep(deadline));
                    if (claim is null) fence?.Stop(); // the image is closed; with no record to release, nothing is left to fence
                    break;
                case Teardown.Step.Release when claim is not null:
                    // Only once nothing can write to the image (or the layer) is the next machine let take it at once.
                    if (AttachedLoopDevices().Intersect(ours).ToList() is [_, ..] attached)
                    {
                        Problem($"{string.Join(", ", attached)} still attached: the holder record stays held, and the next machine waits for it to lapse");
                    }
                    else
                    {
                        Release(claim, deadline, "holder record released");
                    }
                    break;
                case Teardown.Step.UnmountShare when share is not null:
                    Release(share, deadline, "share unmounted");
                    break;
                case Teardown.Step.UnmountOtherShares:
                    Step("unmounting other cifs mounts", () =>
                    {
                        foreach (var leftover in Mounts().OutermostCifs())
                        {
                            Release(new ShareMount(leftover.Source, leftover.MountPoint), deadline, $"{leftover.Source} on {leftover.MountPoint} unmounted");
                        }
                    });
                    break;
                case Teardown.Step.TakeDown when network is not null:
                    Release(network, deadline, $"network down ({network.Interface})");
                    break;
            }
        }

        log.Say(_problems.Count == 0
            ? $"final: the root is released (image closed, share unmounted) in {clock.Elapsed.TotalSeconds:0.0}s; {arguments.Verb.Name()}"
            : $"final: {_problems.Count} problem(s) above; going on to {arguments.Verb.Name()}");
    }

    /// <summary>
    /// <c>init relinquish --kexec=next</c>: the kernel and initramfs named after the image the root's
    /// pointer names now (IMAGE.vmlinuz and IMAGE.initrd beside it), loaded for kexec with the command
    /// line this boot had, while the share is still mounted (the kernel reads the files at load time).
    /// A kernel the running one refuses is reported, and the machine reboots instead.
    /// </summary>
    private void LoadNext(ShareMount share)
    {
        string commandLine = File.ReadAllText("/proc/cmdline").Trim();
        string named = BootPlan.Parse(KernelCommandLine.Parse(commandLine)).Root.ImagePathInShare;
        string image = Boot.Steps.ImageStep.PointedImage(share.MountPoint, named) ?? named;
        int kernel = Sys.Open($"{share.MountPoint}/{image}.vmlinuz", Sys.O_RDONLY);
        try
        {
            int initrd = Sys.Open($"{share.MountPoint}/{image}.initrd", Sys.O_RDONLY);
            try { Sys.KexecFileLoad(kernel, initrd, commandLine); }
            finally { Sys.Close(initrd); }
        }
        finally
        {
            Sys.Close(kernel);
        }
        log.Say($"final: loaded {image}.vmlinuz and {image}.initrd for kexec ({named} names {Path.GetFileName(image)})");
    }

    /// <summary>The fence from the last proof the running system made (<see cref="ClaimProof"/>), before anything touches the share; null without one.</summary>
    private OwnershipFence? ArmFence()
    {
        ClaimProof proof;
        try
        {
            proof = ClaimProof.Parse(File.ReadAllText("/" + ClaimProof.FileName));
        }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException)
        {
            Problem($"cannot read /{ClaimProof.FileName} ({e.Message}); the claim is fenced from when its record is opened");
            return null;
        }
        var policy = FencingPolicy.Default with { Deadline = proof.Deadline, Watchdog = proof.Watchdog };
        var since = MonotonicClock.Now - proof.ProvedAt;
        log.Say($"final: the claim's last proof was {since.TotalSeconds:0.0} s ago; it is renewed until the release, " +
            $"or the machine is fenced {(proof.Deadline - since).TotalSeconds:0} s from now" + (proof.Watchdog ? ", with the watchdog fed after each renewal" : ""));
        return new OwnershipFence(policy, proof.ProvedAt, log);
    }

    /// <summary>
    /// The claim, kept as the running system kept it until the record is released: renewed, the
    /// watchdog fed after each renewal (so a slow shutdown that makes progress is never reset), and
    /// fenced by <paramref name="fence"/>, or from now less one renewal when there was no proof to arm it.
    /// </summary>
    private HolderGuard KeepClaim(FinalStageArguments arguments, ShareMount? share, string held, string bootId, ref OwnershipFence? fence)
    {
        Holder holder;
        try
        {
            // The record's path on the mount moved out of the old root; with no share mount the handed file
            // goes by the record's name in the share, and its name cannot be checked (Holder.ChecksName).
            string path = share is null ? held + HolderRecord.FileSuffix : share.RecordPath(held) + HolderRecord.FileSuffix;
            holder = arguments.HolderFd is int fd
                ? Holder.Adopt(ServerFile.Adopt(fd, path, HolderRecord.Size), bootId)
                : Holder.Reopen(path, bootId);
        }
        catch (IOException e)
        {
            // The record names another machine: unmounting the old root would write its superblock and journal under that machine.
            Fence.Stop(log, e.Message, "rebooting now, without unmounting the old root");
            throw;
        }
        if (fence is null)
        {
            // Without a proof nothing says a watchdog runs, and opening one that does not would start it (invariant 6).
            var policy = FencingPolicy.Default with { Deadline = holder.Record.Deadline, Watchdog = false };
            fence = new OwnershipFence(policy, MonotonicClock.Now - policy.Deadline + policy.RenewEvery, log);
        }
        Watchdog? watchdog = null;
        if (fence.Policy.Watchdog)
        {
            try { watchdog = Watchdog.Arm(null); }
            catch (SysException e) { Problem($"cannot open {Watchdog.Device} to keep it fed ({e.Message}); it resets the machine unless the release is done in time"); }
        }
        return new HolderGuard(holder, watchdog, log, fence, new Decisions(), "/" + ClaimProof.FileName);
    }

    private BootState? ReadState()
    {
        try
        {
            return BootState.Parse(File.ReadAllText("/" + BootState.FileName));
        }
        catch (Exception e) when (e is IOException or FormatException or UnauthorizedAccessException)
        {
            Problem($"cannot read /{BootState.FileName} ({e.Message}); releasing what the kernel shows");
            return null;
        }
    }

    private void Problem(string message)
    {
        _problems.Add(message);
        log.Error("final: " + message);
    }

    /// <summary>Runs one step; what goes wrong is reported and the final stage goes on.</summary>
    private void Step(string what, Action action)
    {
        try { action(); }
        catch (Exception e) { Problem($"{what} failed: {e.Message}"); }
    }

    private void Release(IResource resource, Deadline deadline, string done)
    {
        try
        {
            resource.Release(deadline);
            log.Say("final: " + done);
        }
        catch (Exception e)
        {
            Problem($"releasing {resource.Name} failed: {e.Message}");
        }
    }

    /// <summary>Mountinfo as it is now; lines that do not parse are reported once each, and the rest is used.</summary>
    private MountTable Mounts()
    {
        var table = MountTree.Read();
        foreach (var line in table.Malformed.Where(_reportedMalformed.Add)) log.Warn($"final: skipping a mountinfo line that does not parse: '{line}'");
        return table;
    }

    private readonly HashSet<string> _reportedMalformed = [];

    /// <summary>
    /// The share sits under the old root (/oldroot/run/initramfs/share), and beside it the mount for
    /// the holder records; they must outlive the old root, so they move here first.
    /// </summary>
    private ShareMount? MoveShareOut(Built.Share? recorded)
    {
        var mounts = Mounts().Entries;
        string expected = OldRoot + (recorded?.MountPoint ?? BootContext.ShareMountPoint);
        string records = OldRoot + (recorded?.RecordMountPoint ?? BootContext.RecordMountPoint);
        var found = mounts.LastOrDefault(m => m.MountPoint == expected)
            ?? mounts.LastOrDefault(m => m.FileSystemType is "cifs" or "smb3" && m.MountPoint.StartsWith(OldRoot + "/", StringComparison.Ordinal) && m.MountPoint != records);
        string unc = recorded?.Unc ?? found?.Source ?? "the share";
        string? recordsNow = mounts.Any(m => m.MountPoint == records) ? MoveOut(records, Records) : mounts.Any(m => m.MountPoint == Records) ? Records : null;
        if (found is null)
        {
            if (mounts.Any(m => m.MountPoint == Share)) return new ShareMount(unc, Share, recordMountPoint: recordsNow);
            Problem($"no share mount at {expected}");
            return recordsNow is null ? null : new ShareMount(unc, recordsNow); // the holder record can still be released through it
        }
        return new ShareMount(unc, MoveOut(found.MountPoint, Share), recordMountPoint: recordsNow);
    }

    /// <summary>Moves a mount out of the old root; where it is afterwards.</summary>
    private string MoveOut(string mountPoint, string target)
    {
        try
        {
            Sys.MakeDirectory(target);
            Sys.Mount(mountPoint, target, null, Sys.MS_MOVE, null);
            return target;
        }
        catch (SysException e)
        {
            // Released where it is, after the old root: its unmount leaves this mount alone while it is busy.
            Problem($"moving {mountPoint} out of the old root failed: {e.Message}");
            return mountPoint;
        }
    }

    /// <summary>The sweep of what the kernel still shows under the old root (<see cref="Shutdown.Sweep"/>).</summary>
    private void Sweep(Deadline deadline) =>
        new Sweep(new RealKernel(this, deadline), OldRoot, line => log.Say("final: " + line), Problem).Run();

    /// <summary>The sweep's kernel: mountinfo, umount(2), a read-only remount, the loop devices in sysfs.</summary>
    private sealed class RealKernel(FinalStage stage, Deadline deadline) : Sweep.IKernel
    {
        public MountTable Mounts() => stage.Mounts();
        public void Unmount(string mountPoint) => Sys.Unmount(mountPoint);
        public void MakeReadOnly(string mountPoint) => Sys.RemountReadOnly(mountPoint);
        public IReadOnlyList<string> AttachedLoopDevices() => FinalStage.AttachedLoopDevices();
        public void Detach(string device) => LoopAttachment.Detach(device, deadline);
        public string BackingFileOf(string device) => File.ReadAllText(LoopAttachment.BackingFileOf(device)).Trim();
    }

    /// <summary>
    /// A loop device the system set up over a file on its root (snapd makes one per snap) keeps
    /// that file open until it is detached, and with it the root's filesystem: busy in this mount
    /// namespace, or, set up in the system's own, alive after the old root's unmount here succeeded
    /// (the open file pins the system's copy of the mount), so the image's loop device stays busy.
    /// systemd-shutdown detaches loop devices between its unmount passes for the same reason
    /// (src/shutdown/shutdown.c). The system's go first; the boot's own (<paramref name="ours"/>) after the root.
    /// </summary>
    private bool DetachOthers(string?[] ours)
    {
        bool changed = false;
        foreach (var device in AttachedLoopDevices().Where(d => !ours.Contains(d)))
        {
            try
            {
                LoopAttachment.Detach(device, new Deadline(TimeSpan.FromSeconds(1)));
                log.Say($"final: detached {device}, a loop device of the system's own over a file on the root");
                changed = true;
            }
            catch (Exception e) when (e is SysException or IOException) { /* the sweep reports what is left */ }
        }
        return changed;
    }

    private static IReadOnlyList<string> AttachedLoopDevices() =>
        Directory.Exists("/sys/block")
            ? Directory.GetDirectories("/sys/block", "loop*").Select(Path.GetFileName).OfType<string>()
                .Where(name => File.Exists(LoopAttachment.BackingFileOf(name))).Order(StringComparer.Ordinal).Select(name => "/dev/" + name).ToList()
            : [];

    /// <summary>
    /// The share needs the network to close the image. A system's last script may have taken the
    /// interface down (sysvinit's halt -i, from Debian's /etc/init.d/halt; Slackware's rc.inet1 stop),
    /// so the link, the address and the default route are put back as the boot made them.
    /// </summary>
    private void RestoreNetwork(RootNetwork network)
    {
        var repairs = network.Restore();
        var putBack = new List<string>();
        if (repairs.LinkWasDown) putBack.Add("the link (the system's shutdown took it down)");
        putBack.AddRange(repairs.AddressesMissing.Select(a => $"the address {a.Address}/{a.PrefixLength}"));
        putBack.AddRange(repairs.RoutesMissing.Select(gateway => $"the default route via {gateway}"));
        if (putBack.Count > 0) log.Say($"final: put back on {network.Interface} to release the share: {string.Join(", ", putBack)}");
    }
}
