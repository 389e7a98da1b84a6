using SmbRoot.Core.Kernel;
using SmbRoot.Core.Overlay;
using SmbRoot.Fencing;
using SmbRoot.Interop;
using SmbRoot.Logging;
using SmbRoot.Resources;

namespace SmbRoot.Boot.Steps;

/// <summary>
/// Step 7 under rd.overlay=: the golden image read-only at /run/rootfsbase, the writable layer at
/// /run/overlayfs (a tmpfs of its own, or this machine's persistent layer image), and overlayfs of
/// the two at /sysroot. The layers sit under /run, so the switch carries them into the system and
/// the final stage finds them under the old root, where they are unmounted with it, before the loop
/// devices are detached. Then the machine gets an identity of its own.
/// </summary>
public static class OverlayRoot
{

    public static RootMount Mount(BootContext context, LoopAttachment image, string fs, OverlayLayer overlay, LayerStep.Result? persistent, Made made)
    {
        var plan = context.Plan;
        Sys.MakeDirectory(OverlayLayer.LowerMountPoint);
        RootStep.MountImage(image, fs, OverlayLayer.LowerMountPoint, plan.RootMount.Flags | Sys.MS_RDONLY, plan.RootMount.Data);
        made.Add(new RootMount(OverlayLayer.LowerMountPoint, image.Device, "golden image"));

        Sys.MakeDirectory(OverlayLayer.LayerMountPoint);
        if (persistent is null)
        {
            Sys.Mount("smbroot-layer", OverlayLayer.LayerMountPoint, "tmpfs", 0, overlay.TmpfsData);
            made.Add(new RootMount(OverlayLayer.LayerMountPoint, "tmpfs", "writable layer"));
        }
        else
        {
            MountPersistent(context, image, persistent, made);
        }
        Sys.MakeDirectory(OverlayLayer.UpperDirectory);
        Sys.MakeDirectory(OverlayLayer.WorkDirectory);

        context.Modules.Load(["overlay"]);
        try
        {
            Sys.Mount("overlay", BootContext.SysRoot, "overlay", plan.ReadOnly ? Sys.MS_RDONLY : 0, OverlayLayer.MountData);
        }
        catch (SysException e)
        {
            throw new BootException($"mounting the overlay of {image.Device} ({fs}) and the writable layer on {BootContext.SysRoot} failed: {e.Message}",
                "dmesg shows overlayfs's reason (an ext4/xfs lower layer works; a lower layer that is itself an overlay does not)", permanent: true, inner: e);
        }
        var root = made.Add(new RootMount(BootContext.SysRoot, "overlay of " + image.Device));
        if (!plan.ReadOnly) GiveIdentity(context, keepMachineId: persistent is { Made: false });
        return root;
    }

    /// <summary>
    /// The layer's ext4 at /run/overlayfs, checked against the golden image it was made on
    /// (<see cref="LayerStamp"/>) before anything writes to it, then grown to its file's size.
    /// noinit_itable: the layer file was made sparse, so its inode tables already read as zeros and
    /// the kernel's lazy zeroing (fs/ext4/super.c, ext4_register_li_request) would only write zeros
    /// across the network.
    /// </summary>
    private static void MountPersistent(BootContext context, LoopAttachment image, LayerStep.Result layer, Made made)
    {
        context.Modules.Load(["ext4"]);
        var golden = new LayerStamp(image.PathInShare ?? image.Image, image.Identity ?? throw new InvalidOperationException("a golden image is always read-only, so its identity is known"));
        bool stamped = !layer.Made && CheckStamp(layer, golden);
        HolderClaim.Confirm(context, layer.Claim, $"the layer {layer.Loop.Image}");
        try
        {
            Sys.Mount(layer.Loop.Device, OverlayLayer.LayerMountPoint, "ext4", 0, "noinit_itable");
        }
        catch (SysException e)
        {
            throw new BootException($"mounting the layer {layer.Loop.Image} ({layer.Loop.Device}, ext4) failed: {Errno.Describe(e.Errno)}",
                "dmesg shows ext4's reason; check the layer with e2fsck on the server, or start it afresh with rd.overlay.reset (what it holds is lost)", permanent: true, inner: e);
        }
        made.Add(new RootMount(OverlayLayer.LayerMountPoint, layer.Loop.Device, "writable layer"));
        if (layer.Grows) Grow(context, layer);
        if (stamped) return;
        string temporary = OverlayLayer.StampFile + ".new";
        using (var stamp = new FileStream(temporary, FileMode.Create, FileAccess.Write))
        {
            stamp.Write(System.Text.Encoding.UTF8.GetBytes(golden.Format()));
            stamp.Flush(flushToDisk: true);
        }
        File.Move(temporary, OverlayLayer.StampFile, overwrite: true);
        context.Log.Say($"overlay: the layer is stamped with the golden image {golden.Image}; it is refused over any other");
    }

    /// <summary>
    /// Reads the layer's stamp through a read-only mount that writes nothing: ext4 replays its
    /// journal even on a read-only mount unless told noload (Documentation/admin-guide/ext4.rst), so
    /// a refused layer is left exactly as it was. Throws the refusal; says whether there is a stamp.
    /// A layer this mount cannot read is left to the read-write mount to report.
    /// </summary>
    private static bool CheckStamp(LayerStep.Result layer, LayerStamp golden)
    {
        string? text;
        try
        {
            Sys.Mount(layer.Loop.Device, OverlayLayer.LayerMountPoint, "ext4", Sys.MS_RDONLY, "noload");
        }
        catch (SysException)
        {
            return false;
        }
        try
        {
            text = File.Exists(OverlayLayer.StampFile) ? File.ReadAllText(OverlayLayer.StampFile) : null;
        }
        finally
        {
            Sys.Unmount(OverlayLayer.LayerMountPoint);
        }
        if (text is null) return false;
        string? refusal;
        try { refusal = LayerStamp.Parse(text).RefusalOver(golden); }
        catch (FormatException e) { refusal = e.Message; }
        return refusal is null ? true : throw new BootException($"the layer {layer.Loop.Image} is refused: {refusal}",
            "boot the golden image the layer was made on, or add rd.overlay.reset to start the layer afresh over this one (what it holds is lost)", permanent: true);
    }

    /// <summary>
    /// EXT4_IOC_RESIZE_FS to the file's size: a layer just made from the template, or one whose
    /// file was made larger on the server (fs/ext4/resize.c, ext4_resize_fs). A layer that cannot grow still works at the size it has, so that is a warning.
    /// </summary>
    private static void Grow(BootContext context, LayerStep.Result layer)
    {
        int directory = Sys.Open(OverlayLayer.LayerMountPoint, Sys.O_RDONLY | Sys.O_DIRECTORY);
        try
        {
            Sys.GrowExt4(directory, (ulong)(layer.Size / LayerTemplate.BlockSize), OverlayLayer.LayerMountPoint);
            context.Log.Say($"overlay: the layer's filesystem {(layer.Made ? "fills" : "has grown to")} its {layer.Size / (1024 * 1024)} MiB");
        }
        catch (SysException e)
        {
            context.Log.Warn($"overlay: growing the layer's filesystem to {layer.Size / (1024 * 1024)} MiB failed ({Errno.Describe(e.Errno)}); it goes on at the size it has");
        }
        finally
        {
            Sys.Close(directory);
        }
    }

    /// <summary>
    /// A fresh /etc/machine-id and the kernel's host name in /etc/hostname, written through the
    /// overlay into this machine's layer: the golden image's own would make every machine the same one.
    /// </summary>
    private static void GiveIdentity(BootContext context, bool keepMachineId)
    {
        string etc = BootContext.SysRoot + "/etc";
        if (!Directory.Exists(etc)) return;
        // A persistent layer keeps the id it was given at its first boot (journald's files are named by it).
        bool newId = !(keepMachineId && File.Exists(OverlayLayer.UpperDirectory + "/etc/machine-id"));
        if (newId)
        {
            var uuid = KernelNames.RandomUuid().ToByteArray(bigEndian: true);
            Replace(etc + "/machine-id", MachineId.Format(uuid) + "\n");
        }
        string? hostName = KernelNames.HostName();
        bool named = hostName is not null;
        if (named) Replace(etc + "/hostname", hostName + "\n");
        context.Log.Say($"overlay: {(newId ? "a new /etc/machine-id" : "the layer's own /etc/machine-id")}{(named ? $" and /etc/hostname ({hostName})" : "")} in this machine's layer");
    }

    /// <summary>A new file, never written through a symbolic link the image may have there (it would point out of /sysroot).</summary>
    private static void Replace(string path, string content)
    {
        File.Delete(path);
        File.WriteAllText(path, content);
    }
}
