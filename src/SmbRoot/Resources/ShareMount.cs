using SmbRoot.Core.State;
using System.Net;
using SmbRoot.Core.Kernel;
using SmbRoot.Interop;

namespace SmbRoot.Resources;

/// <summary>
/// The cifs mount of the share, and for a read-write image or a layer the same share mounted again without
/// leases (<c>nolease</c>) for the holder records. Unmounting both is the tree disconnect and
/// logoff: no session is left on the server.
/// </summary>
/// <param name="recordMountPoint">the mount without leases; null when the boot has no holder record (a read-only image, a share directory as the root)</param>
public sealed class ShareMount(string unc, string mountPoint, IPAddress? serverAddress = null, string? recordMountPoint = null) : IReleasedAtTheEnd
{
    public string Unc => unc;
    public Built ForFinalStage => new Built.Share(mountPoint, unc, recordMountPoint);
    public string MountPoint => mountPoint;

    /// <summary>The server's address as mounted: from root=, or resolved by DNS. Unknown in the final stage.</summary>
    public IPAddress? ServerAddress => serverAddress;

    public string Name => $"share {unc} on {mountPoint}";

    /// <summary>Where a holder record (or a file beside it) is read and written: on the mount without leases.</summary>
    public string RecordPath(string pathInShare) => (recordMountPoint ?? mountPoint) + "/" + pathInShare;

    /// <summary>
    /// Whether the directory of <paramref name="pathInShare"/> lies behind a DFS link: the cifs client
    /// followed the server's referral and mounted the link's target under the share on its own
    /// (fs/cifs/cifs_dfs_ref.c, cifs_dfs_d_automount), so the file is on another filesystem than the
    /// share's root, and after a failover it may be on another server. "/." makes the walk go into
    /// the directory: a stat of an automount point itself does not mount it (stat(2), AT_NO_AUTOMOUNT).
    /// A directory that is not there is not behind a link; the open that follows says it is missing.
    /// </summary>
    public bool BehindDfsLink(string pathInShare)
    {
        int slash = pathInShare.LastIndexOf('/');
        if (slash < 0) return false;
        try
        {
            return Sys.Stat(mountPoint + "/" + pathInShare[..slash] + "/.").Device != Sys.Stat(mountPoint).Device;
        }
        catch (SysException)
        {
            return false;
        }
    }

    /// <summary>Unmounts both; waits while a loop device still lets go of a file on the share (EBUSY).</summary>
    public void Release(Deadline deadline)
    {
        if (recordMountPoint is not null) Unmount(recordMountPoint, deadline);
        Unmount(mountPoint, deadline);
    }

    /// <summary>Unmounts <paramref name="path"/>, after what the cifs client mounted beneath it for DFS links (<see cref="BehindDfsLink"/>).</summary>
    private static void Unmount(string path, Deadline deadline)
    {
        foreach (var link in MountTree.Read().UnmountOrder(path).Where(m => m.MountPoint != path)) UnmountOne(link.MountPoint, deadline);
        UnmountOne(path, deadline);
    }

    private static void UnmountOne(string path, Deadline deadline)
    {
        while (true)
        {
            try
            {
                Sys.Unmount(path);
                return;
            }
            catch (SysException e) when (e.Errno is Errno.EINVAL or Errno.ENOENT)
            {
                return; // not mounted (any more)
            }
            catch (SysException e) when (e.Errno == Errno.EBUSY && deadline.WaitAndRetry(TimeSpan.FromMilliseconds(200)))
            {
            }
        }
    }
}
