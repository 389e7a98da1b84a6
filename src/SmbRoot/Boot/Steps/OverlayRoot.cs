using SmbRoot.Core.Overlay;
using SmbRoot.Interop;
using SmbRoot.Logging;
using SmbRoot.Resources;

namespace SmbRoot.Boot.Steps;

/// <summary>
/// Step 7 under rd.overlay=: the golden image read-only at /run/rootfsbase, a tmpfs of its own at
/// /run/overlayfs, and overlayfs of the two at /sysroot. The layers sit under /run, so the switch
/// carries them into the system and the final stage finds them under the old root, where they are
/// unmounted with it, before the loop device is detached. Then the machine gets an identity of its own.
/// </summary>
public static class OverlayRoot
{
    public static RootMount Mount(BootContext context, LoopAttachment image, string fs, OverlayLayer layer, ResourceStack built)
    {
        var plan = context.Plan;
        Sys.MakeDirectory(OverlayLayer.LowerMountPoint);
        RootStep.MountImage(image, fs, OverlayLayer.LowerMountPoint, plan.RootMount.Flags | Sys.MS_RDONLY, plan.RootMount.Data);
        built.Push(new RootMount(OverlayLayer.LowerMountPoint, image.Device, "golden image"));

        Sys.MakeDirectory(OverlayLayer.LayerMountPoint);
        Sys.Mount("smbroot-layer", OverlayLayer.LayerMountPoint, "tmpfs", 0, layer.TmpfsData);
        built.Push(new RootMount(OverlayLayer.LayerMountPoint, "tmpfs", "writable layer"));
        Sys.MakeDirectory(OverlayLayer.UpperDirectory);
        Sys.MakeDirectory(OverlayLayer.WorkDirectory);

        context.Modules.Load(["overlay"]);
        try
        {
            Sys.Mount("overlay", BootContext.SysRoot, "overlay", plan.ReadOnly ? Sys.MS_RDONLY : 0, OverlayLayer.MountData);
        }
        catch (SysException e)
        {
            throw new BootException($"mounting the overlay of {image.Device} ({fs}) and the tmpfs layer on {BootContext.SysRoot} failed: {e.Message}",
                "dmesg shows overlayfs's reason (an ext4/xfs lower layer works; a lower layer that is itself an overlay does not)", permanent: true, inner: e);
        }
        var root = built.Push(new RootMount(BootContext.SysRoot, "overlay of " + image.Device));
        if (!plan.ReadOnly) GiveIdentity(context);
        return root;
    }

    /// <summary>
    /// A fresh /etc/machine-id and the kernel's host name in /etc/hostname, written through the
    /// overlay into this machine's layer: the golden image's own would make every machine the same one.
    /// </summary>
    private static void GiveIdentity(BootContext context)
    {
        string etc = BootContext.SysRoot + "/etc";
        if (!Directory.Exists(etc)) return;
        // The kernel's random v4 UUID (drivers/char/random.c, proc_do_uuid): it does not wait for the
        // entropy pool the way getrandom(2) may this early in the boot.
        var uuid = Convert.FromHexString(File.ReadAllText("/proc/sys/kernel/random/uuid").Trim().Replace("-", ""));
        Replace(etc + "/machine-id", MachineId.Format(uuid) + "\n");
        string hostName = File.ReadAllText("/proc/sys/kernel/hostname").Trim();
        bool named = hostName is not ("" or "(none)");
        if (named) Replace(etc + "/hostname", hostName + "\n");
        context.Log.Say($"overlay: a new /etc/machine-id{(named ? $" and /etc/hostname ({hostName})" : "")} in this machine's layer");
    }

    /// <summary>A new file, never written through a symbolic link the image may have there (it would point out of /sysroot).</summary>
    private static void Replace(string path, string content)
    {
        File.Delete(path);
        File.WriteAllText(path, content);
    }
}
