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

    /// <summary>
    /// Unmounts <paramref name="path"/>. When the cifs client has mounted DFS links' targets beneath
    /// it (<see cref="BehindDfsLink"/>), the share goes with them in one lazy unmount of its own
    /// mount point: a path to one of them is looked up through the link's directory on the
    /// namespace's share, and that lookup revalidates the directory with the namespace's server
    /// (fs/cifs/dir.c, cifs_d_revalidate), waiting for as long as that server is down, even after
    /// the target's own server took over (the lab saw umount wait there for good). The loop devices
    /// are detached by now, so nothing holds the mounts: the kernel lets them go, tree disconnect
    /// and logoff included, before umount2 returns to this process (fs/namespace.c, mntput_no_expire
    /// runs the last put as task work).
    /// </summary>
    private static void Unmount(string path, Deadline deadline)
    {
        bool dfsLinks = MountTree.Read().UnmountOrder(path).Any(m => m.MountPoint != path);
        UnmountOne(path, deadline, dfsLinks ? Sys.MNT_DETACH : 0);
    }

    private static void UnmountOne(string path, Deadline deadline, int flags)
    {
        while (true)
        {
            try
            {
                Sys.Unmount(path, flags);
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
