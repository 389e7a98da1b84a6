using SmbRoot.Core.Filesystems;
using SmbRoot.Core.Images;
using SmbRoot.Core.Kernel;
using SmbRoot.Fencing;
using SmbRoot.Interop;
using SmbRoot.Logging;
using SmbRoot.Network;
using SmbRoot.Resources;

namespace SmbRoot.Boot.Steps;

/// <summary>
/// Step 6: when the image is read-write, wait until its holder record lets this machine take it
/// (<see cref="HolderClaim"/>); open the image on the share, lock it, claim it in the record (the
/// claim goes on the runner's list of what was made), name its filesystem, attach it to a loop device.
/// </summary>
public static class ImageStep
{
    private const string InUseHint = "that no other machine runs from this image";

    /// <summary>The attached image, and for a read-write image the claim on it (already on the stack).</summary>
    public sealed record Result(LoopAttachment Loop, HolderGuard? Claim);

    public static Result Run(BootContext context, RootNetwork network, ShareMount share, Made made)
    {
        var plan = context.Plan;
        string pathInShare = FollowPointer(context, share, plan.Root.ImagePathInShare);
        string path = share.MountPoint + "/" + pathInShare;
        string display = plan.Root.Unc + "/" + pathInShare;
        string recordBase = share.RecordPath(pathInShare);
        bool behindDfsLink = share.BehindDfsLink(pathInShare);
        if (behindDfsLink && !plan.ImageReadOnly)
        {
            throw BehindDfsLink($"the image {display}", "A read-write image",
                "name the server and share that hold the image in root=; a DFS namespace serves golden images, booted read-only with rd.overlay=");
        }
        using var watched = plan.ImageReadOnly ? null : HolderClaim.Watch(context, network, recordBase, display, $"the image {display}", InUseHint);
        int fd;
        try
        {
            fd = Loop.OpenBackingFile(path, plan.ImageReadOnly ? Sys.O_RDONLY : Sys.O_RDWR);
        }
        catch (SysException e)
        {
            throw e.Errno switch
            {
                Errno.ENOENT or Errno.ENOTDIR => new BootException($"the image {display} does not exist on the share",
                    "the path in root= (Samba matches names case-insensitively by default, Windows always)", inner: e),
                Errno.EACCES or Errno.EPERM or Errno.EROFS => new BootException(
                    $"the image {display} cannot be opened {(plan.ImageReadOnly ? "for reading" : "for writing")}: {Errno.Describe(e.Errno)}",
                    plan.ImageReadOnly ? "the file's permissions on the server" : "the file's permissions on the server, or boot it read-only with ro", inner: e),
                Errno.EBUSY or Errno.ETXTBSY => new BootException($"the image {display} is in use: {Errno.Describe(e.Errno)}",
                    "whether another machine has booted this image", inner: e),
                // The client's mount of a DFS link's target resolves a target named by host name through the kernel's
                // dns_resolver key (fs/cifs/dns_resolve.c, dns_query), whose upcall is /sbin/request-key: none here.
                Errno.ENOKEY => new BootException($"the image {display} is behind a DFS link whose target is named by host name: the cifs client " +
                    "resolves it through the kernel's dns_resolver upcall (request-key(8)), which this initramfs does not answer",
                    @"the link's targets: name them by address on the server (ln -s 'msdfs:192.0.2.11\boot,192.0.2.12\boot' /srv/dfs/golden); dmesg shows the failed mount",
                    permanent: true, inner: e),
                Errno.EISDIR => new BootException($"{display} is a directory, not an image file",
                    "end root= with '/' to use a share directory as the root", permanent: true, inner: e),
                _ => new BootException($"opening the image {display} failed: {Errno.Describe(e.Errno)}", "the server's log and dmesg", inner: e),
            };
        }

        try
        {
            return Attach(context, fd, pathInShare, recordBase, display, network, watched, made, behindDfsLink);
        }
        catch
        {
            Sys.Close(fd); // the lock goes with it
            throw;
        }
    }

    /// <summary>
    /// The refusal of a file this machine writes (a read-write image, a layer) that lies behind a DFS
    /// link (<see cref="ShareMount.BehindDfsLink"/>): given before anything is written to the server.
    /// </summary>
    /// <param name="file">"the image //…", "the layer //…"</param>
    /// <param name="kind">what must not move, as a sentence begins: "A layer"</param>
    internal static BootException BehindDfsLink(string file, string kind, string check) =>
        new($"{file} is behind a DFS link: the cifs client followed the server's referral to the server that holds it, " +
            $"and after a failover would follow it to another. {kind} must never move between servers (each copy would take writes of its own)",
            check, permanent: true);

    /// <summary>
    /// A golden image behind a DFS link: after a failover the client reopens it on another target,
    /// which the guard takes for the image booted only by its content stamp (<see cref="ContentStamp"/>).
    /// </summary>
    private static void SayDfsLink(BootContext context, ContentStamp? stamp, string display)
    {
        if (stamp is not null)
        {
            context.Log.Say($"image: {display} is behind a DFS link; its content stamp ({stamp.ShortName}, published " +
                $"{stamp.Published.UtcDateTime:yyyy-MM-dd HH:mm}Z) lets the guard follow it to another target");
            return;
        }
        context.Log.Warn($"image: {display} is behind a DFS link and has no content stamp: should its target fail, the client reopens it " +
            "on another, and the guard, which cannot tell a copy from another image, stops this machine. Publish it with smbroot-admin publish, " +
            "which stamps it, and copy it to the targets after that");
    }

    /// <summary>Locks the open image, names its filesystem and attaches it; the caller closes <paramref name="fd"/> if this throws.</summary>
    private static Result Attach(BootContext context, int fd, string pathInShare, string recordBase, string display, RootNetwork network, HolderClaim.Watched? watched, Made made,
        bool behindDfsLink)
    {
        var plan = context.Plan;
        try
        {
            ImageLock.Take(fd, exclusive: !plan.ImageReadOnly);
        }
        catch (SysException e) when (e.Errno is Errno.EAGAIN or Errno.EACCES)
        {
            throw new BootException($"the image {display} is in use by {HolderNamed(recordBase)}: the server refused the " +
                $"{(plan.ImageReadOnly ? "shared" : "exclusive")} lock SmbRoot takes on every image it boots",
                InUseHint + "; machines may share an image only when all boot it with ro or rd.overlay=" +
                (plan.RetrySeconds > 0 ? $" (rd.retry={plan.RetrySeconds} keeps trying until the lock is free)" : ""), inner: e);
        }
        catch (SysException e)
        {
            throw new BootException($"locking the image {display} failed: {Errno.Describe(e.Errno)}",
                "the server's byte-range lock support (Samba: 'locking = yes', the default)", permanent: true, inner: e);
        }

        var (_, _, size) = Sys.FStat(fd, display);
        if (size < 64 * 1024)
        {
            throw new BootException($"the image {display} is {size} bytes: too small to hold a root filesystem", "that the image was copied completely");
        }
        var head = new byte[Math.Min(SuperblockDetector.BytesNeeded, (int)Math.Min(size, int.MaxValue))];
        Sys.PRead(fd, head, 0, display);
        string? detected = SuperblockDetector.Detect(head);
        string fileSystem = plan.RootFsType ?? detected ?? throw new BootException(
            $"the image {display} holds no filesystem this boot knows (xfs, ext2/3/4, btrfs, squashfs, f2fs, vfat)",
            "that the file is a filesystem image (not a partitioned disk image), or set rootfstype=", permanent: true);
        if (plan.RootFsType is not null && detected is not null && detected != plan.RootFsType && !(detected == "ext4" && plan.RootFsType.StartsWith("ext")))
        {
            context.Log.Warn($"rootfstype={plan.RootFsType}, but the image's superblock says {detected}; mounting as {plan.RootFsType} as asked");
        }

        // The attached file, for the guard's check (Guard/ImageWatch) and a persistent layer's stamp (Core/Overlay/LayerStamp).
        ImageIdentity? identity = null;
        if (plan.ImageReadOnly)
        {
            var (stamp, start) = ServerFile.ContentOf(fd, size, display); // through the handle the loop device will read, before anything can move
            identity = ServerFile.IdentityOf(fd, display) with { Stamp = stamp, HeadHash = stamp is null ? null : ContentStamp.HashHead(start) };
        }
        if (behindDfsLink) SayDfsLink(context, identity?.Stamp, display);
        var claim = watched is null ? null : made.Add(Claim(context, network, watched, fd, display, pathInShare));
        string device = Loop.Attach(fd, plan.ImageReadOnly, pathInShare);
        context.Log.Say($"image: {display} ({size / (1024 * 1024)} MiB, {fileSystem}) on {device}{(plan.ImageReadOnly ? ", read-only" : "")}");
        return new Result(new LoopAttachment(device, display, fileSystem, fd) { PathInShare = pathInShare, Identity = identity }, claim);
    }

    /// <summary>
    /// The image root= names, or the one its pointer file names (<see cref="ImagePointer"/>): a file
    /// under 4 KiB is a pointer. Followed once; what cannot be read here is left to the open to report.
    /// </summary>
    private static string FollowPointer(BootContext context, ShareMount share, string pathInShare)
    {
        try
        {
            if (PointedImage(share.MountPoint, pathInShare) is not { } image) return pathInShare;
            context.Log.Say($"image: {pathInShare} points to {Path.GetFileName(image)}");
            return image;
        }
        catch (FormatException e)
        {
            throw new BootException(e.Message, "the pointer file on the server: publish a version by writing the new image, then a new pointer renamed over the old one", permanent: true);
        }
    }

    /// <summary>
    /// The image the pointer file at <paramref name="pathInShare"/> names now, or null when that is no
    /// pointer (or cannot be read here: the open reports it); a <see cref="FormatException"/> for a damaged one.
    /// </summary>
    public static string? PointedImage(string mountPoint, string pathInShare)
    {
        string path = mountPoint + "/" + pathInShare;
        byte[] content;
        try
        {
            var (_, mode, size) = Sys.Stat(path);
            if ((mode & Sys.S_IFMT) != Sys.S_IFREG || size >= ImagePointer.MaxBytes) return null;
            content = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is SysException or IOException or UnauthorizedAccessException)
        {
            return null;
        }
        return ImagePointer.Resolve(pathInShare, content);
    }

    /// <summary>The holder record, this machine's and renewed from now on; and the watchdog, armed once the image is this machine's.</summary>
    /// <param name="fd">the image (or layer) opened for the loop device: each renewal checks that its name still names this file</param>
    public static HolderGuard Claim(BootContext context, RootNetwork network, HolderClaim.Watched watched, int fd, string display, string pathInShare)
    {
        var policy = context.Plan.Fencing;
        var holder = watched.Take(context, network, ServerFile.IdentityOf(fd, display).FileId, out var provedAt);
        Watchdog? watchdog = null;
        if (policy.Watchdog)
        {
            try
            {
                if (!File.Exists(Watchdog.Device)) context.Modules.Load(["softdog"]);
                watchdog = Watchdog.Arm(policy.WatchdogTimeout);
            }
            catch (Exception e) when (e is SysException or IOException or BootException)
            {
                context.Log.Warn($"fencing: no watchdog ({e.Message}); a holder that cannot renew is stopped by reboot(2) alone");
            }
        }
        context.Log.Say($"fencing: {display} is this machine's; {policy.Describe()}");
        return new HolderGuard(holder, watchdog, context.Log, new OwnershipFence(policy, provedAt, context.Log), context.Decisions) { PathInShare = pathInShare };
    }

    /// <summary>"another machine", or the machine its holder record names.</summary>
    /// <param name="recordBase">the image's path on the mount for the records (<see cref="ShareMount.RecordPath"/>)</param>
    public static string HolderNamed(string recordBase)
    {
        try
        {
            using var file = new ServerFile(recordBase + Core.Fencing.HolderRecord.FileSuffix, Core.Fencing.HolderRecord.Size, create: false);
            return Core.Fencing.HolderRecord.Read(file.ReadBlock()) is Core.Fencing.HolderRecord.Reading.Valid { Record: { Released: false } r }
                ? "another machine, " + r.Describe()
                : "another machine";
        }
        catch (SysException)
        {
            return "another machine";
        }
    }
}
