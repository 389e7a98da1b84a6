using SmbRoot.Core.Kernel;
using SmbRoot.Core.Shutdown;
using SmbRoot.Core.State;
using SmbRoot.Interop;

namespace SmbRoot.Resources;

/// <summary>
/// A mount and everything mounted below it: the root at /sysroot during the boot and at /oldroot in
/// the final stage; under an overlay, also its two layers (<paramref name="role"/> names which).
/// <paramref name="whenBusy"/> is tried when nothing more will unmount, before waiting; it says whether it freed anything.
/// </summary>
public sealed class RootMount(string mountPoint, string source, string role = "root", Func<bool>? whenBusy = null) : IReleasedAtTheEnd
{
    public string MountPoint => mountPoint;
    public Built ForFinalStage => new Built.Mount(mountPoint);

    public string Name => $"{role} {source} on {mountPoint}";

    public void Release(Deadline deadline)
    {
        var failed = MountTree.Unmount(mountPoint, deadline, whenBusy);
        if (failed.Count > 0) throw new IOException("cannot unmount " + string.Join(", ", failed));
    }
}

/// <summary>Unmounting a tree of mounts as the kernel shows it, each mount before the one it sits on.</summary>
public static class MountTree
{
    /// <summary>/proc/self/mountinfo now. A line that does not parse is set aside (see <see cref="MountTable.Malformed"/>).</summary>
    public static MountTable Read() => MountTable.Parse(File.ReadAllText("/proc/self/mountinfo"));

    /// <summary>
    /// Unmounts everything at and below <paramref name="top"/>, retrying what is busy until the
    /// deadline; when nothing more will go, <paramref name="whenBusy"/> may free something first.
    /// What will not go is made read-only, so its filesystem is clean on the image (s6-linux-init's
    /// umountall does the same). Returns what is still mounted, with the reason.
    /// </summary>
    public static IReadOnlyList<string> Unmount(string top, Deadline deadline, Func<bool>? whenBusy = null)
    {
        var failed = new List<string>();
        var notMountPoints = new HashSet<int>();
        while (true)
        {
            var left = Read().UnmountOrder(top).Where(m => !notMountPoints.Contains(m.Id)).ToList();
            if (left.Count == 0) return failed;
            bool progress = false;
            SysException? busy = null;
            foreach (var mount in left)
            {
                try
                {
                    Sys.Unmount(mount.MountPoint);
                    progress = true;
                }
                catch (SysException e) when (e.Errno == Errno.EINVAL)
                {
                    notMountPoints.Add(mount.Id); // umount2(2): not a mount point (any more) in this namespace
                }
                catch (SysException e)
                {
                    busy ??= e;
                }
            }
            if (progress || whenBusy?.Invoke() == true) continue;
            if (deadline.WaitAndRetry(TimeSpan.FromMilliseconds(200))) continue;
            foreach (var mount in left)
            {
                try { Sys.RemountReadOnly(mount.MountPoint); }
                catch (SysException) { /* reported below as still mounted */ }
                failed.Add($"{mount.MountPoint} ({mount.FileSystemType}): {busy?.Message}");
            }
            return failed;
        }
    }
}
