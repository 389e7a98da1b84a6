using System.Text.RegularExpressions;
using SmbRoot.Lab;
using Xunit;

namespace SmbRoot.IntegrationTests;

/// <summary>
/// Guard mode and the way out: the system's init in its own PID namespace, and every way the
/// system can end (relinquish, its own halt -f or poweroff -f) reaching the final stage, checked
/// with smbstatus while the halted guest still runs and with the filesystem's own check.
/// </summary>
[Collection(LabCollection.Name)]
public sealed class ShutdownTests(LabFixture fixture)
{
    private readonly Lab.Lab _lab = fixture.Lab;

    [Theory]
    [InlineData("ext4")]
    [InlineData("xfs")]
    public void Relinquish_halt_leaves_the_server_with_nothing_open(string fileSystem)
    {
        string pathInShare = $"relinquish-{fileSystem}/root.img";
        string image = _lab.AddImage(pathInShare, fileSystem);
        using var guest = _lab.Boot(_lab.InitramfsWithCredentials(), _lab.CommandLine(pathInShare));
        guest.WaitFor(RootImage.ReadyMarker, LabFixture.BootTimeout);
        string loop = guest.Seen(@"LAB: root=(/dev/loop\d+)").Groups[1].Value;

        guest.Type($"{RootImage.ControlClient} status");
        guest.WaitFor(@"mode:\s+guard", TimeSpan.FromMinutes(1));
        guest.WaitFor(@"system init: /sbin/init, pid \d+ here \(busybox init\)", TimeSpan.FromSeconds(10));
        guest.WaitFor($@"root:\s+//10\.0\.2\.2/boot/{Regex.Escape(pathInShare)} \({fileSystem}, rw\)", TimeSpan.FromSeconds(10));
        guest.WaitFor(@"loop device: " + Regex.Escape(loop), TimeSpan.FromSeconds(10));
        guest.WaitFor(@"network:\s+eth0 10\.0\.2\.15/24 via 10\.0\.2\.2", TimeSpan.FromSeconds(10));
        guest.WaitFor(@"ownership:\s+renewed \d+\.\d s ago; fences at 60 s without renewal by reboot\(2\), then softdog at 62 s", TimeSpan.FromSeconds(10));
        guest.WaitFor(@"memory:\s+PID 1 \(SmbRoot\) resident \d+\.\d MiB", TimeSpan.FromSeconds(10));
        Assert.Contains(pathInShare, _lab.Samba.OpenFiles());
        Assert.Matches(@"state=held\nboot=[0-9a-f-]{36}\nmac=52:54:00:12:34:56\n", File.ReadAllText(image + ".holder"));

        guest.Type($"{RootImage.ControlClient} relinquish --halt");
        guest.WaitFor(@"final: holder record released", TimeSpan.FromMinutes(2));
        guest.WaitFor(@"final: the root is released", TimeSpan.FromMinutes(1));
        Released.WhileHalted(_lab, guest, image, fileSystem);
        Assert.Contains("state=released", File.ReadAllText(image + ".holder"));
    }

    [Fact]
    public void Only_root_may_use_the_control_socket()
    {
        _lab.AddImage("nonroot/root.img", "ext4");
        using var guest = _lab.Boot(_lab.InitramfsWithCredentials(), _lab.CommandLine("nonroot/root.img"));
        guest.WaitFor(RootImage.ReadyMarker, LabFixture.BootTimeout);
        Thread.Sleep(1000);
        // /run/initramfs is root's alone (0700); give an ordinary user a copy of the client to try the socket itself.
        guest.Type("mkdir /tmp/c && cp /run/initramfs/init /tmp/c/");
        string client = "/tmp/c/init";
        guest.Type("echo 'bob:x:1000:1000::/:/bin/sh' >> /etc/passwd");
        guest.Type($"su bob -c '{client} relinquish --halt'; echo \"CLIENT-EXIT=$?\"");
        guest.WaitFor(@"error: only root may control PID 1 \(you are uid 1000\)", TimeSpan.FromMinutes(1));
        guest.WaitFor(@"CLIENT-EXIT=1", TimeSpan.FromSeconds(30));
        Thread.Sleep(3000);
        Assert.DoesNotContain("relinquish requested", guest.Console);
        Assert.Contains("nonroot/root.img", _lab.Samba.OpenFiles());
    }

    [Fact]
    public void The_systems_own_halt_f_ends_in_the_final_stage()
    {
        string image = _lab.AddImage("halt-f/root.img", "ext4");
        using var guest = _lab.Boot(_lab.InitramfsWithCredentials(), _lab.CommandLine("halt-f/root.img", "smbroot.halt=halt"));
        guest.WaitFor(RootImage.ReadyMarker, LabFixture.BootTimeout);
        Assert.Contains("halt-f/root.img", _lab.Samba.OpenFiles());

        // reboot(2) inside the system's PID namespace: the kernel turns it into SIGINT for its init.
        guest.Type("sync; halt -f");
        guest.WaitFor(@"guard: the system's init asked the kernel to halt or power off; releasing the root, then halt", TimeSpan.FromMinutes(1));
        Released.WhileHalted(_lab, guest, image, "ext4");
    }

    [Fact]
    public void The_systems_own_poweroff_f_releases_the_root_and_powers_off()
    {
        string image = _lab.AddImage("poweroff-f/root.img", "ext4");
        using var guest = _lab.Boot(_lab.InitramfsWithCredentials(), _lab.CommandLine("poweroff-f/root.img"));
        guest.WaitFor(RootImage.ReadyMarker, LabFixture.BootTimeout);

        guest.Type("sync; poweroff -f");
        guest.WaitFor(@"final: /dev/loop\d+ detached; the image is closed", TimeSpan.FromMinutes(2));
        guest.WaitFor(@"final: share unmounted", TimeSpan.FromSeconds(30));
        guest.WaitFor(@"final: network down", TimeSpan.FromSeconds(30));
        Assert.True(guest.WaitForExit(TimeSpan.FromMinutes(1)), "QEMU should exit when the guest powers off");
        Assert.Contains("reboot: Power down", guest.Console);
        Assert.DoesNotContain("Kernel panic", guest.Console);
        RootImage.Check(image, "ext4");
    }

    [Fact]
    public void Ctrl_alt_del_goes_to_the_systems_init_and_its_reboot_ends_in_the_final_stage()
    {
        _lab.AddImage("ctrlaltdel/root.img", "ext4");
        using var guest = _lab.Boot(_lab.InitramfsWithCredentials(), _lab.CommandLine("ctrlaltdel/root.img"));
        guest.WaitFor(RootImage.ReadyMarker, LabFixture.BootTimeout);

        // The kernel sends SIGINT to the real PID 1; busybox init's inittab says ::ctrlaltdel:/sbin/reboot.
        guest.Monitor("sendkey ctrl-alt-delete");
        guest.WaitFor(@"guard: the system's init asked the kernel to restart; releasing the root, then reboot", TimeSpan.FromMinutes(1));
        guest.WaitFor(@"final: the root is released", TimeSpan.FromMinutes(1));
        Assert.True(guest.WaitForExit(TimeSpan.FromMinutes(1)), "with -no-reboot QEMU exits when the guest reboots");
        Assert.Contains("reboot: Restarting system", guest.Console);
    }

    [Fact]
    public void Handoff_mode_execs_the_init_with_the_share_in_view()
    {
        _lab.AddImage("handoff/root.img", "ext4");
        using var guest = _lab.Boot(_lab.InitramfsWithCredentials(), _lab.CommandLine("handoff/root.img", "smbroot.mode=handoff"));
        guest.WaitFor(RootImage.ReadyMarker, LabFixture.BootTimeout);
        Assert.Matches(@"handoff: exec /sbin/init", guest.Console);
        Assert.Matches(@"LAB: share=//10\.0\.2\.2/boot /run/initramfs/share", guest.Console);
        Assert.Matches(@"LAB: pid1=init exe=/bin/busybox", guest.Console);
    }

    [Fact]
    public void A_system_that_does_not_stop_is_stopped_at_the_deadline()
    {
        // busybox init runs its ::shutdown: actions before it halts; this one never ends and ignores SIGTERM.
        _lab.AddImage("stubborn/root.img", "ext4", extraInittab: "::shutdown:/bin/sh -c 'trap \"\" TERM; sleep 100000'\n");
        using var guest = _lab.Boot(_lab.InitramfsWithCredentials(), _lab.CommandLine("stubborn/root.img"));
        guest.WaitFor(RootImage.ReadyMarker, LabFixture.BootTimeout);

        guest.Type($"{RootImage.ControlClient} relinquish --halt --timeout 5");
        guest.WaitFor(@"did not finish shutting down within 5s", TimeSpan.FromMinutes(1));
        guest.WaitFor(@"sent SIGTERM to its \d+ process\(es\)", TimeSpan.FromSeconds(10));
        guest.WaitFor(@"stopping what is left of the system with SIGKILL", TimeSpan.FromSeconds(30));
        guest.WaitFor(@"reboot: System halted", TimeSpan.FromMinutes(1));
        _lab.Samba.WaitUntilReleased(TimeSpan.FromSeconds(30));
    }

    /// <summary>
    /// The real-world case: Debian's own sysvinit, rcS, runlevel 2 and shutdown scripts, shut down
    /// with its own command, or through relinquish (which asks sysvinit over /run/initctl).
    /// </summary>
    [Theory]
    [InlineData("shutdown -h now")]
    [InlineData(RootImage.ControlClient + " relinquish --halt")]
    public void A_Debian_sysvinit_system_shuts_itself_down_and_the_server_is_clean(string command)
    {
        string image = _lab.AddDebianImage("debian/root.img");
        using var guest = _lab.Boot(_lab.InitramfsWithCredentials(), _lab.CommandLine("debian/root.img", "smbroot.halt=halt"));
        guest.WaitFor(RootImage.ReadyMarker, TimeSpan.FromMinutes(6));
        Assert.Matches(@"LAB: pid1=init exe=(/usr)?/sbin/init", guest.Console); // merged /usr
        Assert.Matches(@"LAB: root=/dev/loop\d+ ext4", guest.Console);
        Assert.Matches(@"LAB: runlevel=N 2", guest.Console);
        Assert.Contains("debian/root.img", _lab.Samba.OpenFiles());

        guest.WaitFor(@"root \(automatic login\)", TimeSpan.FromMinutes(2));
        Thread.Sleep(2000);
        guest.Type($"{RootImage.ControlClient} status");
        guest.WaitFor(@"system init: /sbin/init, pid \d+ here \(sysvinit\)", TimeSpan.FromMinutes(1));

        guest.Type(command);
        // Debian's halt script runs halt -i, which takes the interfaces down before its last reboot(2):
        // the guard's once-a-second check, or else the final stage, puts eth0 back before the release.
        guest.WaitFor(@"final: put back on eth0 to release the share: the link|guard: something took eth0 down under the root; brought it back up", TimeSpan.FromMinutes(4));
        guest.WaitFor(@"final: the root is released", TimeSpan.FromMinutes(2));
        Released.WhileHalted(_lab, guest, image, "ext4");
    }
}
