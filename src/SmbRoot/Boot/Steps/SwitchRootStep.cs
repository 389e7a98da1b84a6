using SmbRoot.Core.Plan;
using SmbRoot.Core.Sys;
using SmbRoot.Guard;
using SmbRoot.Interop;
using SmbRoot.Logging;

namespace SmbRoot.Boot.Steps;

/// <summary>
/// Step 9: move /proc /sys /dev /run into the new root, free the initramfs's memory, make the new
/// root "/" and exec its init. Guarded like busybox's switch_root: PID 1 only, the new root must be
/// another filesystem, the old one must be the initramfs, and the init was checked by <see cref="RootStep"/>.
/// </summary>
public sealed class SwitchRootStep : IBootStep
{
    private static readonly string[] MovedMounts = ["/proc", "/sys", "/dev", "/run"];

    public string Name => "switch";
    public bool Retryable => false;

    public void Run(BootContext context)
    {
        if (Sys.GetPid() != 1) throw new BootException("switching root is only done as PID 1", "run as /init in the initramfs", permanent: true);
        var (rootDevice, _, _) = Sys.Stat("/");
        var (newRootDevice, _, _) = Sys.Stat(BootContext.SysRoot);
        if (rootDevice == newRootDevice)
        {
            throw new BootException($"{BootContext.SysRoot} is not a mounted filesystem", "the root step's messages above", permanent: true);
        }
        string rootType = File.ReadAllLines("/proc/self/mountinfo").Select(l => l.Split(' ')).Where(f => f.Length > 8 && f[4] == "/")
            .Select(f => f[Array.IndexOf(f, "-") + 1]).FirstOrDefault() ?? "";
        if (rootType is not ("rootfs" or "tmpfs" or "ramfs"))
        {
            throw new BootException($"/ is {rootType}, not the initramfs; refusing to delete it", "how this binary was started", permanent: true);
        }

        context.Log.Say($"switching to the root on {context.LoopDevice ?? context.Plan.Root.Unc}, starting {context.Plan.Init}");
        foreach (var mount in MovedMounts)
        {
            string target = BootContext.SysRoot + mount;
            if (!Directory.Exists(target))
            {
                throw new BootException($"the root has no {mount} directory to move the initramfs's {mount} into",
                    $"create {mount} in the image", permanent: true);
            }
            Sys.Mount(mount, target, null, Sys.MS_MOVE, null);
        }

        DeleteInitramfs("/", rootDevice);

        Sys.ChangeDirectory(BootContext.SysRoot);
        Sys.Mount(".", "/", null, Sys.MS_MOVE, null);
        Sys.ChangeRoot(".");
        Sys.ChangeDirectory("/");

        string init = context.Plan.Init;
        string initTarget = File.ResolveLinkTarget(init, returnFinalTarget: true)?.FullName ?? init;
        var mode = BootModes.Resolve(context.Plan.Mode, initTarget);
        if (mode == BootMode.Guard)
        {
            new Supervisor(context).Run(init, context.Plan.InitArguments);
            return;
        }
        context.Log.Say($"handoff: exec {init}; it runs {RetainedBinary.Path} at its end");
        context.Logging.DetachKernelLog();
        var environment = Environment.GetEnvironmentVariables().Keys.Cast<string>()
            .Select(k => $"{k}={Environment.GetEnvironmentVariable(k)}").Order(StringComparer.Ordinal).ToArray();
        Sys.Exec(init, [init, .. context.Plan.InitArguments], environment);
    }

    /// <summary>
    /// Frees the initramfs's RAM: the kernel cannot unmount rootfs, so its files are deleted
    /// (as util-linux switch_root does), staying on the same device and so off every mount point.
    /// </summary>
    private static void DeleteInitramfs(string directory, ulong rootDevice)
    {
        foreach (var entry in Directory.EnumerateFileSystemEntries(directory))
        {
            var info = new FileInfo(entry);
            bool isDirectory = info.Attributes.HasFlag(FileAttributes.Directory) && info.LinkTarget is null;
            if (isDirectory)
            {
                if (Sys.Stat(entry).Device != rootDevice) continue;
                DeleteInitramfs(entry, rootDevice);
            }
            try
            {
                Sys.Unlink(-100 /* AT_FDCWD */, entry, isDirectory);
            }
            catch (SysException e) when (e.Errno is Errno.EBUSY or Errno.ENOTEMPTY)
            {
                // A mount point (/sysroot) or a directory still holding one.
            }
        }
    }

    public void Undo(BootContext context) { }
}
