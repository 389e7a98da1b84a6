using System.Text.RegularExpressions;
using SmbRoot.Lab;
using Xunit;

namespace SmbRoot.IntegrationTests;

/// <summary>Boots the built initramfs in QEMU from the lab's smbd and checks both the guest's console and the server's view.</summary>
[Collection(LabCollection.Name)]
public sealed class BootTests(LabFixture fixture)
{
    private readonly Lab.Lab _lab = fixture.Lab;

    [Theory]
    [InlineData("ext4", "machines/site-a/rack%202/node%257.img", "machines/site-a/rack 2/node%7.img")]
    [InlineData("xfs", "xfs/root.img", "xfs/root.img")]
    public void Boots_an_image_on_the_share_to_the_roots_init(string fileSystem, string pathInUrl, string pathOnServer)
    {
        _lab.AddImage(pathOnServer, fileSystem);
        using var guest = _lab.Boot(_lab.InitramfsWithCredentials(), _lab.CommandLine(pathInUrl));

        guest.WaitFor(RootImage.ReadyMarker, LabFixture.BootTimeout);
        // The root image's rcS prints what it sees (see RootImage): its init is PID 1, / is the loop device.
        Assert.Matches(@"LAB: pid1=init exe=/bin/busybox", guest.Console);
        // Where the boot's time went, one line, as systemd-analyze would say it.
        Assert.Matches(@"smbroot: booted in \d+\.\d s: modules \d+\.\d, network \d+\.\d, share \d+\.\d, image \d+\.\d, root \d+\.\d, retain \d+\.\d, check \d+\.\d, switch \d+\.\d", guest.Console);
        var root = guest.Seen(@"LAB: root=(/dev/loop\d+) (\w+)");
        Assert.Equal(fileSystem, root.Groups[2].Value);
        // The loop device reads ahead one SMB read, 4 MiB (Loop.ReadAheadBytes), not the kernel's 128 KiB,
        // and reads and writes the share past the cifs client's page cache (Loop.OpenBackingFile).
        Assert.Matches(@"LAB: read-ahead-kib=4096 direct-io=1\b", guest.Console);
        // Guard mode hides the share from the system; PID 1's own view has it under /run/initramfs.
        Assert.Matches(@"(?m)^LAB: share=$", guest.Console);
        guest.Type($"{RootImage.ControlClient} status");
        guest.WaitFor(@"share:\s+//10\.0\.2\.2/boot on /run/initramfs/share", TimeSpan.FromMinutes(1));
        guest.Seen(@"loop device: " + Regex.Escape(root.Groups[1].Value));
        guest.WaitFor(@"boot:\s+booted in \d+\.\d s: modules .*; SmbRoot's own code \d+\.\d\d s of CPU", TimeSpan.FromSeconds(30));

        // The server's own view: the guest's session holds the image open for reading and writing.
        string locks = _lab.Samba.OpenFiles();
        Assert.Matches(new Regex(@"RDWR\s.*" + Regex.Escape(pathOnServer)), locks);

        Assert.DoesNotContain(SambaServer.Password, guest.Console);
        Assert.DoesNotContain("Kernel panic", guest.Console);
    }

    [Fact]
    public void A_wrong_password_is_named_and_does_not_panic()
    {
        _lab.AddImage("denied/root.img", "ext4");
        using var guest = _lab.Boot(_lab.InitramfsWithCredentials("not the password"), _lab.CommandLine("denied/root.img"));

        guest.WaitFor(@"ERROR: share: the server 10\.0\.2\.2 refused the login as 'smbroot'", LabFixture.BootTimeout);
        guest.Seen(@"check: the username, password and domain in /etc/smbroot/credentials");
        AssertFallsBackToThePrompt(guest);
        Assert.DoesNotContain("not the password", guest.Console);
    }

    [Fact]
    public void A_missing_image_is_named()
    {
        using var guest = _lab.Boot(_lab.InitramfsWithCredentials(), _lab.CommandLine("nowhere/missing.img"));

        guest.WaitFor(@"ERROR: image: .*nowhere/missing\.img.*(does not exist|no such file)", LabFixture.BootTimeout);
        AssertFallsBackToThePrompt(guest);
    }

    [Fact]
    public void An_unreachable_server_is_named()
    {
        int closedPort = SambaServer.FreePort();
        using var guest = _lab.Boot(_lab.InitramfsWithCredentials(), _lab.CommandLine("any/root.img", port: closedPort));

        guest.WaitFor($@"ERROR: share: cannot reach the SMB server 10\.0\.2\.2 port {closedPort}: .*ECONNREFUSED", LabFixture.BootTimeout);
        AssertFallsBackToThePrompt(guest);
    }

    [Fact]
    public void A_malformed_root_is_a_command_line_error()
    {
        using var guest = _lab.Boot(_lab.InitramfsWithCredentials(),
            "console=ttyS0 panic=-1 root=cifs://10.0.2.2 ip=10.0.2.15::10.0.2.2:255.255.255.0::eth0:off");

        guest.WaitFor(@"ERROR: command line: root=.*share", LabFixture.BootTimeout);
        AssertFallsBackToThePrompt(guest);
    }

    [Fact]
    public void Retries_show_a_countdown_and_the_boot_succeeds_when_the_image_appears()
    {
        using var guest = _lab.Boot(_lab.InitramfsWithCredentials(), _lab.CommandLine("late/root.img", "rd.retry=600"));

        guest.WaitFor(@"ERROR: image: .*late/root\.img", LabFixture.BootTimeout);
        guest.WaitFor(@"retrying in \d+s", TimeSpan.FromSeconds(30));
        _lab.AddImage("late/root.img", "ext4");

        guest.WaitFor(RootImage.ReadyMarker, LabFixture.BootTimeout);
        Assert.Matches(@"LAB: root=/dev/loop\d+ ext4", guest.Console);
    }

    /// <summary>PID 1 survives a failure: it offers the retry/reboot prompt and the kernel never panics.</summary>
    private static void AssertFallsBackToThePrompt(QemuMachine guest)
    {
        guest.WaitFor(@"Type r and Enter to retry the boot, b to reboot, p to power off", TimeSpan.FromSeconds(60));
        Assert.DoesNotContain("Kernel panic", guest.Console);
        Assert.False(guest.HasExited, "the guest stopped: PID 1 must stay up and wait at the prompt");
    }
}
