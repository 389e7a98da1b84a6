using SmbRoot.Boot;
using SmbRoot.Core.Shutdown;
using SmbRoot.Core.State;
using SmbRoot.Fencing;
using SmbRoot.Interop;
using SmbRoot.Logging;

namespace SmbRoot.Shutdown;

/// <summary>
/// From the running system to the final stage: the same move systemd-shutdown makes
/// (src/shutdown/shutdown.c: switch_root into /run/initramfs, then exec /shutdown VERB), so every
/// way out ends in one code path, <see cref="FinalStage"/>.
/// </summary>
public static class EnterFinalStage
{
    /// <summary>Never returns: the final stage, or, if even that cannot start, the verb straight away.</summary>
    /// <param name="claim">this boot's claim on the image or the layer, whose record's file goes to the final stage</param>
    /// <param name="loadNext">with a kexec: the final stage loads the kernel named after the image the pointer names now</param>
    public static void Run(BootContext context, ShutdownVerb verb, HolderGuard? claim, bool loadNext = false)
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
            string[] arguments =
            [
                "/shutdown", verb.Name(),
                .. claim is null ? Array.Empty<string>() : [$"{FinalStageArguments.HolderFdOption}={claim.PassToFinalStage()}"],
                .. loadNext ? [FinalStageArguments.LoadNextOption] : Array.Empty<string>(),
            ];
            Sys.Exec("/shutdown", arguments, ["TERM=linux"]);
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
