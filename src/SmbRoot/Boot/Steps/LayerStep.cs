using Microsoft.Win32.SafeHandles;
using SmbRoot.Core.Filesystems;
using SmbRoot.Core.Kernel;
using SmbRoot.Core.Overlay;
using SmbRoot.Core.Plan;
using SmbRoot.Fencing;
using SmbRoot.Interop;
using SmbRoot.Logging;
using SmbRoot.Network;
using SmbRoot.Resources;

namespace SmbRoot.Boot.Steps;

/// <summary>
/// Step 6 again under rd.overlay=cifs://: this machine's persistent layer, an image file on the
/// share. It is this machine's alone, so it is watched, opened, locked and claimed exactly like a
/// read-write root (<see cref="HolderClaim"/>, <see cref="ImageStep.Claim"/>: holder record, fencing, watchdog). A new file (rd.overlay.create=),
/// one that starts with zeros and was never held (an administrator's truncate -s), or one rd.overlay.reset asks to start afresh, is given the empty
/// ext4 filesystem from the initramfs (<see cref="LayerTemplate"/>) before the loop device is attached.
/// </summary>
public static class LayerStep
{
    private const string TemplatePath = "/etc/smbroot/layer-template";
    private const string InUseHint = "that no other machine boots with this layer: each machine needs its own, which {mac} in rd.overlay= gives";

    /// <summary>
    /// The attached layer, its claim (already on the stack), its file's size, whether it was made
    /// just now, and whether its filesystem is smaller than its file (made from the template, or the file was made larger on the server).
    /// </summary>
    public sealed record Result(LoopAttachment Loop, HolderGuard Claim, long Size, bool Made, bool Grows);

    public static Result Run(BootContext context, RootNetwork network, ShareMount share, LayerFile layer, Made made)
    {
        string pathInShare;
        try
        {
            pathInShare = layer.PathFor(network.Mac ?? Interfaces.Mac(network.Interface), KernelNames.HostName(), network.Record.Address);
        }
        catch (PlanException e)
        {
            throw new BootException(e.Message, "the host name from DHCP (option 12) or ip=, or a layer name with {mac} or {ip}", permanent: true, inner: e);
        }
        string path = share.MountPoint + "/" + pathInShare;
        string display = $"//{layer.Server}/{layer.Share}/{pathInShare}";
        string recordBase = share.RecordPath(pathInShare);
        if (share.BehindDfsLink(pathInShare))
        {
            throw ImageStep.BehindDfsLink($"the layer {display}", "A layer", "name the server and share that hold the layers in rd.overlay=, not a DFS namespace");
        }
        using var watched = HolderClaim.Watch(context, network, recordBase, display, $"the layer {display}", InUseHint);
        var (fd, created) = Open(path, display, layer);
        try
        {
            return Attach(context, network, layer, fd, created, recordBase, pathInShare, display, watched, made);
        }
        catch
        {
            Sys.Close(fd); // the lock goes with it
            throw;
        }
    }

    private static Result Attach(BootContext context, RootNetwork network, LayerFile layer, int fd, bool created, string recordBase, string pathInShare, string display, HolderClaim.Watched watched, Made made)
    {
        try
        {
            ImageLock.Take(fd, exclusive: true);
        }
        catch (SysException e) when (e.Errno is Errno.EAGAIN or Errno.EACCES)
        {
            throw new BootException($"the layer {display} is in use by {ImageStep.HolderNamed(recordBase)}: the server refused the exclusive lock",
                InUseHint +
                (context.Plan.RetrySeconds > 0 ? $" (rd.retry={context.Plan.RetrySeconds} keeps trying until the lock is free)" : ""), inner: e);
        }
        var claim = made.Add(ImageStep.Claim(context, network, watched, fd, display, pathInShare));

        var (_, _, size) = Sys.FStat(fd, display);
        var head = new byte[SuperblockDetector.BytesNeeded];
        int read = size == 0 ? 0 : Sys.PRead(fd, head, 0, display);
        bool blank = !head.AsSpan(0, read).ContainsAnyExcept((byte)0);
        if (blank && !created && !layer.Reset && watched.RecordExisted)
        {
            // A file the administrator made (truncate -s) has never been held; one that has been is a layer whose start was lost.
            throw new BootException($"the layer {display} begins with {read / 1024} KiB of zeros, but it has been used before (it has a holder record): it is damaged, not new",
                "the layer file on the server (e2fsck, a backup); rd.overlay.reset makes it afresh (what it holds is lost)", permanent: true);
        }
        bool formatted = created || blank || layer.Reset;
        if (formatted)
        {
            // A file that was there keeps its size: rd.overlay.create= sizes only a file it creates.
            long target = created ? layer.CreateBytes!.Value : size;
            string why = created ? "new" : layer.Reset ? "rd.overlay.reset" : "all zeros so far";
            context.Log.Say($"overlay: making an empty ext4 filesystem in {display} ({why}; {target / (1024 * 1024)} MiB)");
            Format(fd, target, display);
            size = target;
            Sys.PRead(fd, head, 0, display);
        }
        else if (SuperblockDetector.Detect(head) is not ("ext4" or "ext2" or "ext3"))
        {
            throw new BootException($"the layer {display} holds no ext4 filesystem", "that rd.overlay= names this machine's layer; rd.overlay.reset makes it afresh (what it holds is lost)", permanent: true);
        }
        string device = Loop.Attach(fd, readOnly: false, pathInShare);
        context.Log.Say($"overlay: layer {display} ({size / (1024 * 1024)} MiB) on {device}");
        return new Result(new LoopAttachment(device, display, "ext4", fd) { PathInShare = pathInShare, Role = "layer" }, claim, size, formatted, LayerTemplate.FileSystemBytes(head) <= size - LayerTemplate.BlockSize);
    }

    /// <summary>Opens the layer read-write; creates it (empty) only with rd.overlay.create=, and says whether it did.</summary>
    private static (int Fd, bool Created) Open(string path, string display, LayerFile layer)
    {
        try
        {
            if (layer.CreateBytes is not null)
            {
                try
                {
                    // Made here, then opened again as an existing layer is: a handle from the create did not survive a
                    // cluster failover in 3 of 6 runs (after the reconnect its reopen failed a write of the loop device, and
                    // ext4 aborted its journal), a handle from a plain open in none of 4 (CtdbTests). The claim's lock
                    // is taken on the handle that stays, so nothing is lost by the second open.
                    Sys.Close(Loop.OpenBackingFile(path, Sys.O_RDWR | Sys.O_CREAT | Sys.O_EXCL, 0x1A4 /* 0644 */));
                    return (Loop.OpenBackingFile(path, Sys.O_RDWR), true);
                }
                catch (SysException e) when (e.Errno == Errno.EEXIST)
                {
                }
            }
            return (Loop.OpenBackingFile(path, Sys.O_RDWR), false);
        }
        catch (SysException e)
        {
            throw e.Errno switch
            {
                Errno.ENOENT or Errno.ENOTDIR when layer.CreateBytes is not null => new BootException(
                    $"the directory {display[..display.LastIndexOf('/')]} for the layer does not exist", "make it on the server: SmbRoot creates layers, not directories", inner: e),
                Errno.ENOENT => new BootException($"the layer {display} does not exist",
                    "rd.overlay.create=SIZE (e.g. 8G) makes it at the first boot; for {mac}, {hostname} and {ip} see README", inner: e),
                Errno.EACCES or Errno.EPERM or Errno.EROFS => new BootException($"the layer {display} cannot be opened for writing: {Errno.Describe(e.Errno)}",
                    "the permissions of the layer and its directory on the server", inner: e),
                _ => new BootException($"opening the layer {display} failed: {Errno.Describe(e.Errno)}", "the server's log and dmesg", inner: e),
            };
        }
    }

    /// <summary>
    /// The file becomes <paramref name="size"/> bytes of zeros (sparse on the server: truncated to
    /// nothing, then extended), then the template's blocks, with this layer's own UUID, reach the server (fsync).
    /// </summary>
    private static void Format(int fd, long size, string display)
    {
        var template = LayerTemplate.Unpack(File.ReadAllBytes(TemplatePath));
        if (size < template.Size)
        {
            throw new BootException($"the layer {display} is {size / (1024 * 1024)} MiB; a layer takes at least {template.Size / (1024 * 1024)} MiB",
                $"rd.overlay.create= (at least {template.Size / (1024 * 1024)}M)", permanent: true);
        }
        using var handle = new SafeFileHandle(fd, ownsHandle: false);
        RandomAccess.SetLength(handle, 0);
        RandomAccess.SetLength(handle, size);
        RandomAccess.Write(handle, template.FirstBlockFor(KernelNames.RandomUuid(), DateTimeOffset.UtcNow), 0);
        foreach (var (index, data) in template.Blocks.Skip(1)) RandomAccess.Write(handle, data, index * LayerTemplate.BlockSize);
        RandomAccess.FlushToDisk(handle);
    }
}
