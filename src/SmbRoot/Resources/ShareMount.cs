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

    /// <summary>Unmounts both; waits while a loop device still lets go of a file on the share (EBUSY).</summary>
    public void Release(Deadline deadline)
    {
        if (recordMountPoint is not null) Unmount(recordMountPoint, deadline);
        Unmount(mountPoint, deadline);
    }

    private static void Unmount(string path, Deadline deadline)
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
