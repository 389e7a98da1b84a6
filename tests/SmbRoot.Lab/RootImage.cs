namespace SmbRoot.Lab;

/// <summary>
/// A small root filesystem image: static busybox, its applets as links, busybox init with an
/// inittab, and an rcS that reports what the tests check (who is PID 1, what / is, the share).
/// </summary>
public static class RootImage
{
    /// <summary>What rcS prints; tests match these lines on the serial console.</summary>
    public const string ReadyMarker = "SMBROOT-LAB-READY";

    /// <summary>SmbRoot's control client as the booted system sees it.</summary>
    public const string ControlClient = "/run/initramfs/init";

    /// <param name="extraFiles">files put into the root as they are, mode 0755: path in the root → content</param>
    public static void Create(string imagePath, string fileSystem, string workDirectory, string? extraRcS = null, string? extraInittab = null,
        IReadOnlyDictionary<string, byte[]>? extraFiles = null)
    {
        string busybox = Shell.Require("busybox", "busybox-static");
        string tree = Path.Combine(workDirectory, "tree-" + Path.GetFileNameWithoutExtension(imagePath));
        if (Directory.Exists(tree)) Directory.Delete(tree, recursive: true);
        foreach (var d in new[] { "bin", "sbin", "etc/init.d", "proc", "sys", "dev", "run", "tmp", "root", "var" })
        {
            Directory.CreateDirectory(Path.Combine(tree, d));
        }
        File.Copy(busybox, Path.Combine(tree, "bin/busybox"));
        File.SetUnixFileMode(Path.Combine(tree, "bin/busybox"), (UnixFileMode)0x1ED);
        foreach (var applet in Shell.Run(busybox, "--list").Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            if (applet == "busybox") continue;
            string dir = applet is "init" or "halt" or "poweroff" or "reboot" ? "sbin" : "bin";
            File.CreateSymbolicLink(Path.Combine(tree, dir, applet), "/bin/busybox");
        }
        File.WriteAllText(Path.Combine(tree, "etc/inittab"), """
            ::sysinit:/etc/init.d/rcS
            ::respawn:-/bin/sh
            ::ctrlaltdel:/sbin/reboot
            ::shutdown:/bin/sync

            """ + (extraInittab ?? ""));
        File.WriteAllText(Path.Combine(tree, "etc/init.d/rcS"), $$"""
            #!/bin/sh
            echo "LAB: cpu-idle-s=$(cut -d' ' -f2 /proc/uptime)"
            echo "LAB: pid1=$(cat /proc/1/comm) exe=$(readlink /proc/1/exe)"
            echo "LAB: root=$(awk '$2 == "/" { print $1, $3 }' /proc/mounts)"
            echo "LAB: share=$(awk '$3 == "cifs" { print $1, $2 }' /proc/mounts)"
            rootdev=$(awk '$2 == "/" { sub("/dev/", "", $1); print $1 }' /proc/mounts)
            echo "LAB: read-ahead-kib=$(cat /sys/block/$rootdev/queue/read_ahead_kb 2>/dev/null) direct-io=$(cat /sys/block/$rootdev/loop/dio 2>/dev/null)"
            echo "LAB: nic=$(for n in /sys/class/net/eth*; do echo -n "$(basename $n):$(basename $(readlink $n/device/driver)):$(cat $n/operstate) "; done)"
            echo "LAB: retained=$(ls /run/initramfs | tr '\n' ' ')"
            echo "LAB: retained-kib=$(du -skx /run/initramfs | cut -f1) mem-available-kib=$(awk '/MemAvailable/ { print $2 }' /proc/meminfo) per-cpu-free-kib=$(awk '$1 == "count:" { n += $2 } END { print n * 4 }' /proc/zoneinfo)"
            echo "written by the guest" > /root/guest-was-here
            sync
            {{extraRcS ?? ""}}
            echo "{{ReadyMarker}}"
            """);
        File.SetUnixFileMode(Path.Combine(tree, "etc/init.d/rcS"), (UnixFileMode)0x1ED);
        foreach (var (pathInRoot, content) in extraFiles ?? new Dictionary<string, byte[]>())
        {
            string file = Path.Combine(tree, pathInRoot.TrimStart('/'));
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            File.WriteAllBytes(file, content);
            File.SetUnixFileMode(file, (UnixFileMode)0x1ED);
        }

        if (File.Exists(imagePath)) File.Delete(imagePath);
        switch (fileSystem)
        {
            case "ext4":
                Shell.Require("mkfs.ext4", "e2fsprogs");
                // 512 MiB (a sparse file), room for every writer a test runs until it is stopped; 4 KiB
                // blocks, as a real root has (mke2fs.conf gives a smaller filesystem 1 KiB blocks, which the
                // boot warns about); inode tables and journal zeroed now, as on an image booted before, not
                // by the guest's ext4lazyinit thread in the background while a test writes.
                Shell.Run("mkfs.ext4", "-q", "-F", "-L", "labroot", "-b", "4096", "-E", "lazy_itable_init=0,lazy_journal_init=0", "-d", tree, imagePath, "512M");
                break;
            case "xfs":
                // mkfs.xfs cannot populate from a directory; fill it through a loop mount on the host.
                Shell.Require("mkfs.xfs", "xfsprogs");
                using (var file = File.Create(imagePath)) file.SetLength(320L * 1024 * 1024);
                Shell.Run("mkfs.xfs", "-q", "-f", "-L", "labroot", imagePath);
                string mount = Path.Combine(workDirectory, "mnt-" + Path.GetFileNameWithoutExtension(imagePath));
                Directory.CreateDirectory(mount);
                Shell.Run("mount", "-o", "loop", imagePath, mount);
                try { Shell.Run("cp", "-a", tree + "/.", mount); }
                finally { Shell.Run("umount", mount); }
                break;
            default:
                throw new ArgumentException($"the lab makes ext4 and xfs images, not {fileSystem}");
        }
        Directory.Delete(tree, recursive: true);
    }

    /// <summary>
    /// The filesystem's own read-only check on the host, which must find nothing to replay.
    /// xfs_repair -n fails on a dirty log by itself; e2fsck -fn only warns that it skipped journal
    /// recovery and still exits 0, so the ext4 superblock's needs_recovery flag is checked as well.
    /// Throws with the checker's output when the image was not left clean.
    /// </summary>
    public static void Check(string imagePath, string fileSystem)
    {
        switch (fileSystem)
        {
            case "ext4":
                string features = Shell.Run("dumpe2fs", "-h", imagePath).Split('\n').First(l => l.StartsWith("Filesystem features:"));
                if (features.Contains("needs_recovery")) throw new InvalidOperationException($"{imagePath}: the ext4 journal needs recovery: {features}");
                Shell.Run("e2fsck", "-f", "-n", imagePath);
                break;
            case "xfs":
                Shell.Run("xfs_repair", "-n", "-f", imagePath);
                break;
            default:
                throw new ArgumentException($"no checker for {fileSystem}");
        }
    }
}
