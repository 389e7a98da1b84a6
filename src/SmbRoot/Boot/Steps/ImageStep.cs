using SmbRoot.Core.Filesystems;
using SmbRoot.Core.Sys;
using SmbRoot.Interop;
using SmbRoot.Logging;
using SmbRoot.Resources;

namespace SmbRoot.Boot.Steps;

/// <summary>Step 6: open the image on the share, lock it, name its filesystem, attach it to a loop device.</summary>
public static class ImageStep
{
    public static LoopAttachment Run(BootContext context, ShareMount share)
    {
        var plan = context.Plan;
        string path = share.MountPoint + "/" + plan.Root.ImagePathInShare;
        string display = plan.Root.Unc + "/" + plan.Root.ImagePathInShare;
        int fd;
        try
        {
            fd = Sys.Open(path, plan.ReadOnly ? Sys.O_RDONLY : Sys.O_RDWR);
        }
        catch (SysException e)
        {
            throw e.Errno switch
            {
                Errno.ENOENT or Errno.ENOTDIR => new BootException($"the image {display} does not exist on the share",
                    "the path in root= (Samba matches names case-insensitively by default, Windows always)", inner: e),
                Errno.EACCES or Errno.EPERM or Errno.EROFS => new BootException(
                    $"the image {display} cannot be opened {(plan.ReadOnly ? "for reading" : "for writing")}: {Errno.Describe(e.Errno)}",
                    plan.ReadOnly ? "the file's permissions on the server" : "the file's permissions on the server, or boot it read-only with ro", inner: e),
                Errno.EBUSY or Errno.ETXTBSY => new BootException($"the image {display} is in use: {Errno.Describe(e.Errno)}",
                    "whether another machine has booted this image", inner: e),
                Errno.EISDIR => new BootException($"{display} is a directory, not an image file",
                    "end root= with '/' to use a share directory as the root", permanent: true, inner: e),
                _ => new BootException($"opening the image {display} failed: {Errno.Describe(e.Errno)}", "the server's log and dmesg", inner: e),
            };
        }

        try
        {
            return Attach(context, fd, display);
        }
        catch
        {
            Sys.Close(fd); // the lock goes with it
            throw;
        }
    }

    /// <summary>Locks the open image, names its filesystem and attaches it; the caller closes <paramref name="fd"/> if this throws.</summary>
    private static LoopAttachment Attach(BootContext context, int fd, string display)
    {
        var plan = context.Plan;
        try
        {
            ImageLock.Take(fd, exclusive: !plan.ReadOnly);
        }
        catch (SysException e) when (e.Errno is Errno.EAGAIN or Errno.EACCES)
        {
            throw new BootException($"the image {display} is in use by another machine: the server refused the " +
                $"{(plan.ReadOnly ? "shared" : "exclusive")} lock SmbRoot takes on every image it boots",
                "that no other machine runs from this image; machines may share an image only when all boot it with ro" +
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

        string device = Loop.Attach(fd, plan.ReadOnly, plan.Root.ImagePathInShare);
        context.Log.Say($"image: {display} ({size / (1024 * 1024)} MiB, {fileSystem}) on {device}{(plan.ReadOnly ? ", read-only" : "")}");
        return new LoopAttachment(device, display, fileSystem, fd);
    }
}
