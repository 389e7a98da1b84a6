using SmbRoot.Boot;
using SmbRoot.Core.Kernel;
using SmbRoot.Core.State;
using SmbRoot.Interop;

namespace SmbRoot.Guard;

/// <summary>
/// Runs as PID 1 of the system's new PID namespace, just before it becomes the system's init:
/// a mount namespace of its own, a /proc that shows its own PID namespace, no share mount (so
/// the system's shutdown scripts can neither see nor unmount it) and a read-only retained
/// ramdisk. Then exec the root's init.
/// </summary>
public static class EnterSystem
{
    public const string Command = "--enter-system";

    /// <summary>
    /// Starts <see cref="Command"/> as PID 1 of a new PID namespace, with an empty /dev over the real
    /// one until it unmounts it: the child draws its random seed first, without /dev/urandom, as PID 1
    /// does (<see cref="EarlySetup.SeedRandomWithoutDevice"/>), and does not wait for the kernel's
    /// generator between the switch and the system's init. The empty /dev is mounted in a mount
    /// namespace of a thread of its own (unshare(2) with CLONE_NEWNS is per thread), which the
    /// child inherits and nothing else sees.
    /// </summary>
    public static int Spawn(string init, IReadOnlyList<string> initArguments)
    {
        int pid = 0;
        Exception? failure = null;
        var starter = new Thread(() =>
        {
            try
            {
                Sys.Unshare(Sys.CLONE_NEWNS);
                Sys.Mount(null, "/", null, Sys.MS_REC | Sys.MS_PRIVATE, null);
                Sys.Mount("smbroot-nodev", "/dev", "tmpfs", Sys.MS_NOSUID | Sys.MS_NOEXEC, "size=4k,mode=0755");
                pid = Sys.SpawnInNewPidNamespace(RetainedBinary.Path, ["smbroot", Command, init, .. initArguments], []);
            }
            catch (Exception e)
            {
                failure = e;
            }
        }) { Name = "system start" };
        starter.Start();
        starter.Join();
        if (failure is not null) throw failure;
        return pid;
    }

    public static int Run(string[] args)
    {
        if (args.Length < 1 || !args[0].StartsWith('/'))
        {
            Console.Error.WriteLine($"smbroot {Command}: expected the init's path and arguments");
            return 2;
        }
        EarlySetup.SeedRandomWithoutDevice();
        try
        {
            Sys.Unshare(Sys.CLONE_NEWNS);
            Sys.Mount(null, "/", null, Sys.MS_REC | Sys.MS_PRIVATE, null);
            Sys.Unmount("/dev"); // the empty one Spawn put over it: the system gets the real one
            // The /proc moved in from the initramfs shows our parent's PID namespace; the system gets its own.
            Sys.Mount("proc", "/proc", "proc", Sys.MS_NOSUID | Sys.MS_NODEV | Sys.MS_NOEXEC, null);
            foreach (string share in new[] { BootContext.RecordMountPoint, BootContext.ShareMountPoint })
            {
                try
                {
                    Sys.Unmount(share);
                }
                catch (SysException e) when (e.Errno is Errno.EINVAL or Errno.ENOENT && share == BootContext.RecordMountPoint)
                {
                    // a boot without a holder record has no mount for the records
                }
                catch (SysException e)
                {
                    Console.Error.WriteLine($"smbroot: warning: could not hide the share from the system: {e.Message}");
                }
            }
            // The retained ramdisk as a read-only mount of its own: the system can neither change
            // it nor, by remounting /run noexec (Debian's mountkernfs.sh does), stop the client in it from running.
            Sys.Mount(RetainedRamdisk.MountPoint, RetainedRamdisk.MountPoint, null, Sys.MS_BIND, null);
            Sys.Mount(null, RetainedRamdisk.MountPoint, null, Sys.MS_REMOUNT | Sys.MS_BIND | Sys.MS_RDONLY | Sys.MS_NOSUID, null);
            Sys.Exec(args[0], args, ["HOME=/", "TERM=linux", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]);
        }
        catch (SysException e)
        {
            Console.Error.WriteLine($"smbroot: ERROR: starting the system's init {args[0]} failed: {e.Message}");
        }
        return 1;
    }
}
