using System.Net;
using SmbRoot.Core.Sys;
using SmbRoot.Interop;

namespace SmbRoot.Resources;

/// <summary>The cifs mount of the share. Unmounting it is the tree disconnect and logoff: no session is left on the server.</summary>
public sealed class ShareMount(string unc, string mountPoint, IPAddress? serverAddress = null) : IResource
{
    public string Unc => unc;
    public string MountPoint => mountPoint;

    /// <summary>The server's address as mounted: from root=, or resolved by DNS. Unknown in the final stage.</summary>
    public IPAddress? ServerAddress => serverAddress;

    public string Name => $"share {unc} on {mountPoint}";

    /// <summary>Unmounts; waits while a loop device still lets go of a file on it (EBUSY).</summary>
    public void Release(Deadline deadline)
    {
        while (true)
        {
            try
            {
                Sys.Unmount(mountPoint);
                return;
            }
            catch (SysException e) when (e.Errno == Errno.EINVAL)
            {
                return; // not mounted (any more)
            }
            catch (SysException e) when (e.Errno == Errno.EBUSY && deadline.WaitAndRetry(TimeSpan.FromMilliseconds(200)))
            {
            }
        }
    }
}
