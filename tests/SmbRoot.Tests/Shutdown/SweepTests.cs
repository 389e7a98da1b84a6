using SmbRoot.Core.Shutdown;
using SmbRoot.Interop;
using SmbRoot.Shutdown;
using Xunit;

namespace SmbRoot.Tests.Shutdown;

/// <summary>The final stage's sweep, against a kernel of the tests' own.</summary>
public class SweepTests
{
    /// <summary>
    /// Mounts under /oldroot and loop devices. A mount in <see cref="PinnedBy"/> is busy while that
    /// loop device is attached (a snap's squashfs pins its file on the root, and the root pins the snap's mount).
    /// </summary>
    private sealed class Kernel : Sweep.IKernel
    {
        public readonly List<MountEntry> Mounted = [];
        public readonly Dictionary<string, string> Loops = [];
        public readonly Dictionary<string, string> PinnedBy = [];
        public readonly HashSet<string> NeverGoes = [];
        public readonly List<string> ReadOnly = [];

        public MountTable Mounts() => new([new MountEntry(1, 0, "/", "rootfs", "rootfs"), .. Mounted], []);

        public void Unmount(string mountPoint)
        {
            if (NeverGoes.Contains(mountPoint) || (PinnedBy.TryGetValue(mountPoint, out var loop) && Loops.ContainsKey(loop)) || Mounted.Any(m => m.ParentId == Id(mountPoint)))
            {
                throw new SysException("umount", mountPoint, Core.Kernel.Errno.EBUSY);
            }
            Mounted.RemoveAll(m => m.MountPoint == mountPoint);
        }

        private int Id(string mountPoint) => Mounted.Single(m => m.MountPoint == mountPoint).Id;

        public void MakeReadOnly(string mountPoint) => ReadOnly.Add(mountPoint);
        public IReadOnlyList<string> AttachedLoopDevices() => [.. Loops.Keys.Order()];

        public void Detach(string device)
        {
            // A loop device that a mount still reads from stays busy (its own file on a mount does not keep it).
            if (Mounted.Any(m => m.Source == device)) throw new SysException("ioctl", device, Core.Kernel.Errno.EBUSY);
            Loops.Remove(device);
        }

        public string BackingFileOf(string device) => Loops[device];
    }

    private readonly List<string> _said = [], _problems = [];

    private void Run(Kernel kernel) => new Sweep(kernel, "/oldroot", _said.Add, _problems.Add).Run();

    [Fact]
    public void Passes_repeat_until_nothing_changes_and_each_frees_what_the_last_pinned()
    {
        var kernel = new Kernel();
        kernel.Mounted.AddRange([new(2, 1, "/oldroot", "ext4", "/dev/loop0"), new(3, 2, "/oldroot/snap/core/1", "squashfs", "/dev/loop5")]);
        kernel.Loops["/dev/loop5"] = "/oldroot/var/lib/snapd/snaps/core_1.snap";
        kernel.PinnedBy["/oldroot"] = "/dev/loop5";

        Run(kernel);

        Assert.Equal(["sweep: unmounted /oldroot/snap/core/1", "sweep: detached /dev/loop5", "sweep: unmounted /oldroot"], _said);
        Assert.Empty(_problems);
        Assert.Empty(kernel.Mounted);
    }

    [Fact]
    public void What_will_not_go_is_made_read_only_and_reported()
    {
        var kernel = new Kernel();
        kernel.Mounted.AddRange([new(2, 1, "/oldroot", "ext4", "/dev/loop0"), new(3, 2, "/oldroot/home/vm", "ext4", "/dev/loop7")]);
        kernel.NeverGoes.Add("/oldroot/home/vm");
        kernel.Loops["/dev/loop7"] = "/oldroot/home/big.img";

        Run(kernel);

        Assert.Equal(["/oldroot/home/vm", "/oldroot"], kernel.ReadOnly);
        Assert.Equal(["still mounted: /oldroot/home/vm (ext4), made read-only", "still mounted: /oldroot (ext4), made read-only",
            "/dev/loop7 still holds /oldroot/home/big.img"], _problems);
    }

    [Fact]
    public void Nothing_left_is_a_quiet_sweep()
    {
        Run(new Kernel());
        Assert.Empty(_said);
        Assert.Empty(_problems);
    }
}
