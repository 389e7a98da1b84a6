using SmbRoot.Core.Sys;
using SmbRoot.Interop;
using SmbRoot.Logging;

namespace SmbRoot.Boot.Steps;

/// <summary>Step 7: mount the loop device (or, in directory mode, the share itself) at /sysroot and find its init.</summary>
public sealed class RootStep : IBootStep
{
    public string Name => "root";
    public bool Retryable => true;

    public void Run(BootContext context)
    {
        var plan = context.Plan;
        Sys.MakeDirectory(BootContext.SysRoot);
        if (plan.Root.IsImage)
        {
            string fs = context.FileSystem!;
            // ext2 and ext3 are served by the ext4 driver (fs/ext4/super.c registers all three).
            context.Modules.Load([fs is "ext2" or "ext3" ? "ext4" : fs]);
            try
            {
                Sys.Mount(context.LoopDevice, BootContext.SysRoot, fs, plan.RootMount.Flags, plan.RootMount.Data);
            }
            catch (SysException e)
            {
                throw new BootException($"mounting {context.LoopDevice} ({fs}) on {BootContext.SysRoot} failed: {Errno.Describe(e.Errno)}",
                    e.Errno == Errno.EINVAL
                        ? $"that the image holds a valid {fs} filesystem and that rootflags= are options {fs} knows; dmesg shows the filesystem's reason"
                        : "dmesg shows the filesystem's reason; the image may need a check (fsck) on the server", permanent: true, inner: e);
            }
        }
        else
        {
            Sys.Mount(BootContext.ShareMountPoint, BootContext.SysRoot, null, Sys.MS_BIND, null);
        }
        context.Log.Say($"root: {(plan.Root.IsImage ? context.LoopDevice : plan.Root.Unc)} on {BootContext.SysRoot}{(plan.ReadOnly ? " (read-only)" : "")}");
        CheckInit(context);
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
            if ((mode & 0xF000) != 0x8000 || (mode & 0x49) == 0)
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

    public void Undo(BootContext context)
    {
        try { Sys.Unmount(BootContext.SysRoot); }
        catch (SysException e) when (e.Errno == Errno.EINVAL) { /* not mounted */ }
    }
}
