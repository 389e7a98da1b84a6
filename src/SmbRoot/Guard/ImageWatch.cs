using Microsoft.Extensions.Logging;
using SmbRoot.Core.Images;
using SmbRoot.Core.Sys;
using SmbRoot.Fencing;
using SmbRoot.Interop;
using SmbRoot.Logging;
using SmbRoot.Resources;

namespace SmbRoot.Guard;

/// <summary>
/// The check that the image's name on the server still names the file this machine booted
/// (<see cref="ImageIdentity"/>): in PID 1 in guard mode, in @smbroot-holder in handoff mode. Images are never replaced in place; one that was would be
/// read after the next reconnect, so the machine fences at once instead (<see cref="Fence"/>).
/// A thread of its own, because asking the server blocks for as long as the network is gone.
/// Read-only images only (golden images and their versions): a read-write image is this machine's
/// by its holder record, and a second open of it while a cut cable heals would be one more handle
/// for the client to reopen while the loop device's writes wait.
/// </summary>
public static class ImageWatch
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    /// <summary>What to watch: the image's path here, its name for messages, and the file the boot attached.</summary>
    public sealed record Target(string Path, string Display, ImageIdentity Booted);

    /// <summary>The target for a read-only image (one attached with its identity taken), or null.</summary>
    public static Target? For(ShareMount share, LoopAttachment image) =>
        image is { PathInShare: { } pathInShare, Identity: { } booted }
            ? new Target(share.MountPoint + "/" + pathInShare, share.Unc + "/" + pathInShare, booted)
            : null;

    public static void Start(ILogger log, Target target) =>
        BackgroundWork.Start("image watch", log, () => Watch(log, target.Path, target.Display, target.Booted));

    private static void Watch(ILogger log, string path, string display, ImageIdentity booted)
    {
        string? failing = null;
        while (true)
        {
            Thread.Sleep(Interval);
            try
            {
                string? change;
                try
                {
                    change = booted.ChangedIn(ServerFile.IdentityOf(path));
                }
                catch (SysException e) when (e.Errno == Errno.ESTALE)
                {
                    change = "the name now names another file (ESTALE)";
                }
                catch (SysException e) when (e.Errno == Errno.EINVAL)
                {
                    // The client opens an inode it has leased with that lease's key, and a server refuses a
                    // lease key that belongs to another file with STATUS_INVALID_PARAMETER ([MS-SMB2]
                    // 3.3.5.9.8; Samba, source3/smbd/open.c, lease_match): the name now names another file.
                    change = "the server refuses to open the name as the file this machine has open (a lease for another file)";
                }
                if (change is not null)
                {
                    Fence.Stop(log, $"the image {display} on the server is not the file this machine booted: {change}. " +
                        "Images must never be replaced in place (publish a new file and point to it); after a reconnect the client would read the new one",
                        "rebooting now, before this machine reads a different filesystem");
                }
                if (failing is not null) log.Say($"guard: the image {display} can be checked on the server again");
                failing = null;
            }
            catch (SysException e) when (e.Errno == Errno.ENOENT)
            {
                if (failing != e.Message) log.Warn($"guard: the image {display} is gone from the server (this machine's open file lives on until a reconnect): {e.Message}");
                failing = e.Message;
            }
            catch (SysException e)
            {
                if (failing != e.Message) log.Warn($"guard: cannot check the image {display} on the server: {e.Message}");
                failing = e.Message;
            }
        }
    }
}
