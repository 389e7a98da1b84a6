using SmbRoot.Core.Shutdown;

namespace SmbRoot.Shutdown;

/// <summary>
/// The final stage's sweep of what the kernel still shows after the recorded releases: mounts under
/// the old root, and loop devices with a backing file (ones the system set up itself). Repeated
/// until a pass changes nothing, the way systemd-shutdown repeats umount_all and
/// loopback_detach_all (src/shutdown/shutdown.c); then a louder last pass makes what is still
/// mounted read-only, so its filesystem is clean on its image, and reports it.
/// </summary>
public sealed class Sweep(Sweep.IKernel kernel, string top, Action<string> say, Action<string> problem)
{
    /// <summary>What the sweep asks of the kernel; the final stage's is the real one, the tests give their own.</summary>
    public interface IKernel
    {
        MountTable Mounts();

        /// <summary>Throws what the kernel refused.</summary>
        void Unmount(string mountPoint);

        void MakeReadOnly(string mountPoint);

        IReadOnlyList<string> AttachedLoopDevices();

        /// <summary>Throws what the kernel refused.</summary>
        void Detach(string device);

        string BackingFileOf(string device);
    }

    public void Run()
    {
        while (Pass()) { }
        foreach (var mount in kernel.Mounts().UnmountOrder(top))
        {
            string how;
            try
            {
                kernel.MakeReadOnly(mount.MountPoint);
                how = "made read-only";
            }
            catch (Exception e) when (e is IOException or Interop.SysException)
            {
                how = $"and not even read-only: {e.Message}";
            }
            problem($"still mounted: {mount.MountPoint} ({mount.FileSystemType}), {how}");
        }
        foreach (var device in kernel.AttachedLoopDevices()) problem($"{device} still holds {kernel.BackingFileOf(device)}");
    }

    /// <summary>One pass; whether it unmounted or detached anything.</summary>
    private bool Pass()
    {
        bool changed = false;
        foreach (var mount in kernel.Mounts().UnmountOrder(top))
        {
            try
            {
                kernel.Unmount(mount.MountPoint);
                say($"sweep: unmounted {mount.MountPoint}");
                changed = true;
            }
            catch (Exception e) when (e is IOException or Interop.SysException) { /* reported after the last pass */ }
        }
        foreach (var device in kernel.AttachedLoopDevices())
        {
            try
            {
                kernel.Detach(device);
                say($"sweep: detached {device}");
                changed = true;
            }
            catch (Exception e) when (e is IOException or Interop.SysException) { /* reported after the last pass */ }
        }
        return changed;
    }
}
