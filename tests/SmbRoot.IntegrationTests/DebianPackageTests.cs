using SmbRoot.Admin;
using SmbRoot.Lab;
using Xunit;

namespace SmbRoot.IntegrationTests;

/// <summary>
/// The Debian package as an administrator meets it: installed in a clean Debian root (the lab's
/// debootstrap tree, copied), then a kernel package installed there, whose hook builds SmbRoot's
/// initramfs for it; that kernel and initramfs (with a machine's credentials archive after it)
/// boot an image from the lab's share.
/// </summary>
[Collection(LabCollection.Name)]
public sealed class DebianPackageTests(LabFixture fixture)
{
    private readonly Lab.Lab _lab = fixture.Lab;

    [Fact]
    public void Installed_in_a_Debian_root_a_kernel_package_gets_an_initramfs_that_boots()
    {
        string deb = Directory.GetFiles(Path.Combine(_lab.RepositoryRoot, "out"), "smbroot_*_amd64.deb").SingleOrDefault()
            ?? throw new InvalidOperationException("out/smbroot_*_amd64.deb is missing: ./build.sh test builds it (./build.sh deb)");
        string tree = Path.Combine(_lab.WorkDirectory, "debian-package-root");
        if (Directory.Exists(tree)) RemoveTree(tree);
        Shell.Run("cp", "-a", DebianRoot.Tree(), tree);
        File.Copy(deb, Path.Combine(tree, "tmp/smbroot.deb"));
        File.Copy("/etc/resolv.conf", Path.Combine(tree, "etc/resolv.conf"), overwrite: true);
        string[] mounts = ["proc", "sys", "dev"];
        Shell.Run("mount", "-t", "proc", "proc", Path.Combine(tree, "proc"));
        Shell.Run("mount", "--bind", "/sys", Path.Combine(tree, "sys"));
        Shell.Run("mount", "--bind", "/dev", Path.Combine(tree, "dev"));
        string installed;
        try
        {
            string Chroot(string command) => Shell.Run("chroot", [tree, "/bin/sh", "-c", $"DEBIAN_FRONTEND=noninteractive {command} 2>&1"], null);
            Chroot("dpkg -i /tmp/smbroot.deb");
            Assert.True(File.Exists(Path.Combine(tree, "usr/share/man/man7/smbroot.cmdline.7.gz")));
            Chroot("apt-get update -qq");
            installed = Chroot("apt-get install -y -q --no-install-recommends linux-image-amd64");
        }
        finally
        {
            foreach (var mount in mounts) Shell.Run("umount", ["-l", Path.Combine(tree, mount)], null, allowFailure: true);
        }
        Assert.Matches(@"smbroot: building /boot/smbroot-initramfs-\S+\.img", installed);
        string initramfs = Directory.GetFiles(Path.Combine(tree, "boot"), "smbroot-initramfs-*.img").Single();
        string version = Path.GetFileName(initramfs)["smbroot-initramfs-".Length..^".img".Length];
        string kernel = Path.Combine(tree, "boot", $"vmlinuz-{version}");

        // The package's initramfs holds no password; the machine's own archive comes after it.
        string archive = Path.Combine(_lab.WorkDirectory, "package-credentials.cpio");
        Assert.Equal(0, AdminTool.Run(["credentials", "pkg-guest", "--user", SambaServer.User, "--output", archive],
            new StringReader(_lab.Samba.UserPassword + "\n"), false, new StringWriter(), new StringWriter()));
        string both = _lab.TwoInitrds(initramfs, archive, "package-initramfs-and-credentials.img");

        const string path = "package/root.img";
        string image = _lab.AddImage(path, "ext4");
        using var guest = _lab.Boot(both, _lab.CommandLine(path), kernel: kernel);
        guest.WaitFor(RootImage.ReadyMarker, LabFixture.BootTimeout);
        Assert.Contains($"Linux version {version}", guest.Console);
        Assert.Contains(path, _lab.Samba.OpenFiles());
        guest.Type($"{RootImage.ControlClient} relinquish --halt");
        Released.WhileHalted(_lab, guest, image, "ext4");
        RemoveTree(tree);
    }

    /// <summary>The copied root goes (half a gigabyte with its kernel), but never while anything of the host is mounted in it.</summary>
    private static void RemoveTree(string tree)
    {
        if (File.ReadAllText("/proc/mounts").Contains(tree, StringComparison.Ordinal)) throw new InvalidOperationException($"{tree} still has mounts; left in place");
        Shell.Run("rm", "-rf", "--one-file-system", tree);
    }
}
