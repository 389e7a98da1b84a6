namespace SmbRoot.Lab;

/// <summary>
/// A real distribution root: Debian bookworm with sysvinit-core, made with debootstrap (minbase)
/// and cached between runs. Its own rcS and runlevel 2 run; rc.local reports to the console what
/// the tests check, and a root shell on the serial console takes typed commands.
/// </summary>
public static class DebianRoot
{
    public const string Suite = "bookworm";
    private const string CacheDirectory = "/var/cache/smbroot-lab";

    /// <summary>The debootstrapped tree, made once per machine (about 30 s with a near mirror: the one this machine's apt uses).</summary>
    public static string Tree()
    {
        string tree = Path.Combine(CacheDirectory, $"{Suite}-sysvinit");
        if (File.Exists(Path.Combine(tree, ".complete"))) return tree;
        Shell.Require("debootstrap", "debootstrap");
        string partial = tree + ".partial";
        if (Directory.Exists(partial)) Directory.Delete(partial, recursive: true);
        Directory.CreateDirectory(CacheDirectory);
        Shell.Run("debootstrap", "--variant=minbase", "--include=sysvinit-core,procps", Suite, partial, AptSources.MirrorFor(Suite));
        Configure(partial);
        File.WriteAllText(Path.Combine(partial, ".complete"), "");
        if (Directory.Exists(tree)) Directory.Delete(tree, recursive: true);
        Directory.Move(partial, tree);
        return tree;
    }

    private static void Configure(string root)
    {
        // No virtual-terminal gettys; an automatic root login on the serial console instead.
        string inittab = Path.Combine(root, "etc/inittab");
        var lines = File.ReadAllLines(inittab).Where(l => !System.Text.RegularExpressions.Regex.IsMatch(l, @"^\d:\d+:respawn:/sbin/getty"));
        File.WriteAllLines(inittab, [.. lines, "T0:2345:respawn:/sbin/agetty --autologin root --noclear -L ttyS0 115200 vt100"]);
        File.WriteAllText(Path.Combine(root, "etc/hostname"), "debian-guest\n");
        File.WriteAllText(Path.Combine(root, "etc/fstab"), "# The root is an image on an SMB share, mounted by SmbRoot before init runs.\n");
        string rcLocal = Path.Combine(root, "etc/rc.local");
        File.WriteAllText(rcLocal, $$"""
            #!/bin/sh
            {
            echo "LAB: pid1=$(cat /proc/1/comm) exe=$(readlink /proc/1/exe)"
            echo "LAB: root=$(awk '$2 == "/" { print $1, $3 }' /proc/mounts)"
            echo "LAB: runlevel=$(runlevel)"
            echo "{{RootImage.ReadyMarker}}"
            } > /dev/console
            exit 0

            """);
        File.SetUnixFileMode(rcLocal, (UnixFileMode)0x1ED);
    }

    /// <summary>An ext4 image of the tree at <paramref name="imagePath"/>.</summary>
    public static void CreateImage(string imagePath)
    {
        string tree = Tree();
        if (File.Exists(imagePath)) File.Delete(imagePath);
        Shell.Run("mkfs.ext4", "-q", "-F", "-L", "debianroot", "-d", tree, imagePath, "768M");
    }
}
