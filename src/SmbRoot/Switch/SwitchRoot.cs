using SmbRoot.Boot;
using SmbRoot.Core.Kernel;
using SmbRoot.Interop;
using SmbRoot.Logging;
using SmbRoot.Resources;

namespace SmbRoot.Switch;

/// <summary>
/// Step 9: move /proc /sys /dev /run into the new root, free the initramfs's memory and make the
/// new root "/". Guarded like busybox's switch_root: <see cref="Check"/> runs inside the boot,
/// where a failure can still be undone; <see cref="Switch"/> is the point of no return.
/// </summary>
public static class SwitchRoot
{
    private static readonly string[] MovedMounts = ["/proc", "/sys", "/dev", "/run"];

    /// <summary>PID 1 only, the new root is another filesystem, the old one is the initramfs, and every mount has somewhere to go.</summary>
    public static void Check(BootContext context)
    {
        if (Sys.GetPid() != 1) throw new BootException("switching root is only done as PID 1", "run as /init in the initramfs", permanent: true);
        if (Sys.Stat("/").Device == Sys.Stat(BootContext.SysRoot).Device)
        {
            throw new BootException($"{BootContext.SysRoot} is not a mounted filesystem", "the root step's messages above", permanent: true);
        }
        var root = MountTree.Read().Entries.FirstOrDefault(m => m.MountPoint == "/");
        if (root?.FileSystemType is not ("rootfs" or "tmpfs" or "ramfs"))
        {
            throw new BootException($"/ is {root?.FileSystemType ?? "unknown"}, not the initramfs; refusing to delete it", "how this binary was started", permanent: true);
        }
        foreach (var mount in MovedMounts.Where(m => !Directory.Exists(BootContext.SysRoot + m)))
        {
            throw new BootException($"the root has no {mount} directory to move the initramfs's {mount} into", $"create {mount} in the image", permanent: true);
        }
    }

    /// <summary>The point of no return: from here the initramfs is gone, and a failure can only end in the final stage.</summary>
    public static void Switch(BootContext context, string rootName)
    {
        context.Log.Say($"switching to the root on {rootName}, starting {context.Plan.Init}");
        ulong initramfsDevice = Sys.Stat("/").Device;
        foreach (var mount in MovedMounts) Sys.Mount(mount, BootContext.SysRoot + mount, null, Sys.MS_MOVE, null);
        DeleteInitramfs("/", initramfsDevice);
        Sys.ChangeDirectory(BootContext.SysRoot);
        Sys.Mount(".", "/", null, Sys.MS_MOVE, null);
        Sys.ChangeRoot(".");
        Sys.ChangeDirectory("/");
    }

    /// <summary>
    /// Frees the initramfs's RAM: the kernel cannot unmount rootfs, so its files are deleted
    /// (as util-linux switch_root does), staying on the same device and so off every mount point.
    /// The retained ramdisk's directory stays: it is what /run/initramfs shows.
    /// </summary>
    private static void DeleteInitramfs(string directory, ulong rootDevice)
    {
        foreach (var entry in Directory.EnumerateFileSystemEntries(directory))
        {
            if (entry == BootContext.RetainedInInitramfs) continue;
            var info = new FileInfo(entry);
            bool isDirectory = info.Attributes.HasFlag(FileAttributes.Directory) && info.LinkTarget is null;
            if (isDirectory)
            {
                if (Sys.Stat(entry).Device != rootDevice) continue;
                DeleteInitramfs(entry, rootDevice);
            }
            try
            {
                Sys.Unlink(Sys.AT_FDCWD, entry, isDirectory);
            }
            catch (SysException e) when (e.Errno is Errno.EBUSY or Errno.ENOTEMPTY)
            {
                // A mount point (/sysroot) or a directory still holding one.
            }
        }
    }
}
