using SmbRoot.Boot;
using SmbRoot.Core.Shutdown;
using SmbRoot.Core.State;
using SmbRoot.Interop;
using SmbRoot.Logging;

namespace SmbRoot.Guard;

/// <summary>
/// From the running system to the final stage: the same move systemd-shutdown makes
/// (src/shutdown/shutdown.c: switch_root into /run/initramfs, then exec /shutdown VERB), so every
/// way out ends in one code path, <see cref="Shutdown.FinalStage"/>.
/// </summary>
public static class Handover
{
    /// <summary>Never returns: the final stage, or, if even that cannot start, the verb straight away.</summary>
    public static void ToFinalStage(BootContext context, ShutdownVerb verb)
    {
        try
        {
            Sys.Sync();
            // pivot_root(2) wants no shared propagation on the way, and a mount point as the new root.
            Sys.Mount(null, "/", null, Sys.MS_REC | Sys.MS_PRIVATE, null);
            Sys.Mount(RetainedRamdisk.MountPoint, RetainedRamdisk.MountPoint, null, Sys.MS_BIND, null);
            Sys.ChangeDirectory(RetainedRamdisk.MountPoint);
            Sys.PivotRoot(".", "oldroot");
            Sys.ChangeRoot(".");
            Sys.ChangeDirectory("/");
            context.Logging.DetachKernelLog();
            Sys.Exec("/shutdown", ["/shutdown", verb.Name()], ["TERM=linux"]);
        }
        catch (Exception e)
        {
            context.Logging.AttachKernelLog();
            context.Log.Error($"handing over to the final stage failed: {e.Message}; the image stays open on the server until the connection drops");
            context.Log.Error("  check: that /run/initramfs holds the shutdown binary and its libraries (the retain step)");
        }
        Sys.RebootUntilDone(verb);
    }
}
