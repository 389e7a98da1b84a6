using SmbRoot.Core.Kernel;
using SmbRoot.Fencing;
using SmbRoot.Interop;
using SmbRoot.Logging;
using SmbRoot.Resources;

namespace SmbRoot.Boot.Steps;

/// <summary>Step 7: mount the loop device (or, in directory mode, the share itself) at /sysroot and find its init.</summary>
public static class RootStep
{
    /// <param name="claim">the claim on a read-write image, confirmed before its filesystem is mounted</param>
    public static RootMount Run(BootContext context, LoopAttachment? image, LayerStep.Result? layer, HolderGuard? claim, ShareMount share, Made made)
    {
        var plan = context.Plan;
        Sys.MakeDirectory(BootContext.SysRoot);
        RootMount root;
        if (image is { FileSystem: { } fs })
        {
            // ext2 and ext3 are served by the ext4 driver (fs/ext4/super.c registers all three).
            context.Modules.Load([fs is "ext2" or "ext3" ? "ext4" : fs]);
            if (plan.Overlay is { } overlay)
            {
                root = OverlayRoot.Mount(context, image, fs, overlay, layer, made);
            }
            else
            {
                if (claim is not null) HolderClaim.Confirm(context, claim, $"the image {image.Image}");
                MountImage(image, fs, BootContext.SysRoot, plan.RootMount.Flags, plan.RootMount.Data);
                root = made.Add(new RootMount(BootContext.SysRoot, image.Device));
            }
        }
        else
        {
            Sys.Mount(share.MountPoint, BootContext.SysRoot, null, Sys.MS_BIND, null);
            root = made.Add(new RootMount(BootContext.SysRoot, share.Unc));
        }
        context.Log.Say($"root: {(plan.Overlay is null ? image?.Device ?? share.Unc : $"overlay of {image?.Device} and {(layer is null ? "a tmpfs layer" : "the layer on " + layer.Loop.Device)}")} on {BootContext.SysRoot}{(plan.ReadOnly ? " (read-only)" : "")}");
        CheckInit(context);
        return root;
    }

    /// <summary>Mounts the attached image's filesystem at <paramref name="target"/>.</summary>
    public static void MountImage(LoopAttachment image, string fs, string target, ulong flags, string data)
    {
        try
        {
            Sys.Mount(image.Device, target, fs, flags, data);
        }
        catch (SysException e)
        {
            throw new BootException($"mounting {image.Device} ({fs}) on {target} failed: {Errno.Describe(e.Errno)}",
                e.Errno == Errno.EINVAL
                    ? $"that the image holds a valid {fs} filesystem and that rootflags= are options {fs} knows; dmesg shows the filesystem's reason"
                    : "dmesg shows the filesystem's reason; the image may need a check (fsck) on the server", permanent: true, inner: e);
        }
    }

    /// <summary>The init must exist in the new root and be executable, checked before anything is torn down.</summary>
    private static void CheckInit(BootContext context)
    {
        string init = context.Plan.Init;
        int rootFd = Sys.Open(BootContext.SysRoot, Sys.O_RDONLY | Sys.O_DIRECTORY);
        try
        {
            int initFd = Sys.OpenInRoot(rootFd, init, Sys.O_PATH);
            var (_, mode, _) = Sys.FStat(initFd, init);
            Sys.Close(initFd);
            if ((mode & Sys.S_IFMT) != Sys.S_IFREG || (mode & Sys.AnyExecuteBit) == 0)
            {
                throw new BootException($"{init} in the root is not an executable file", "init= and the file's mode in the image", permanent: true);
            }
        }
        catch (SysException e)
        {
            throw new BootException($"the root has no init at {init}: {Errno.Describe(e.Errno)}",
                "that the image holds a complete root filesystem, or name its init with init=", permanent: true, inner: e);
        }
        finally
        {
            Sys.Close(rootFd);
        }
    }
}
