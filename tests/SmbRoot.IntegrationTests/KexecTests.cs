using SmbRoot.Lab;
using Xunit;

namespace SmbRoot.IntegrationTests;

/// <summary>
/// kexec: the root released exactly as for a reboot, then the kernel the system loaded starts
/// without the firmware and boots the same image again, at once (the record says released) and
/// with one session on the server (the old one logged off).
/// </summary>
[Collection(LabCollection.Name)]
public sealed class KexecTests(LabFixture fixture)
{
    private readonly Lab.Lab _lab = fixture.Lab;

    [Theory]
    [InlineData("guard")]
    [InlineData("handoff")]
    public void The_root_is_released_then_the_loaded_kernel_boots_the_image_again(string mode)
    {
        string pathInShare = $"kexec-{mode}/root.img";
        string initrd = _lab.InitramfsWithCredentials();
        var files = new Dictionary<string, byte[]>
        {
            [KexecLoad.GuestPath] = File.ReadAllBytes(KexecLoad.Build(_lab.WorkDirectory)),
            ["/boot/vmlinuz"] = File.ReadAllBytes(_lab.Kernel),
            ["/boot/initrd.img"] = File.ReadAllBytes(initrd),
            // handoff: busybox plays systemd-shutdown, which execs /shutdown kexec for `systemctl kexec`
            ["/sbin/systemd-shutdown-lab"] = System.Text.Encoding.UTF8.GetBytes(FinalStageTests.SystemdShutdownScript("90s", verb: "kexec")),
        };
        string image = _lab.AddImage(pathInShare, "ext4", extraInittab: mode == "handoff" ? "::restart:/sbin/systemd-shutdown-lab\n" : null, extraFiles: files);
        string commandLine = _lab.CommandLine(pathInShare, $"smbroot.mode={mode}");
        using var guest = _lab.Boot(initrd, commandLine);
        guest.WaitFor(RootImage.ReadyMarker, LabFixture.BootTimeout);
        int sessions = _lab.Samba.Sessions();
        Assert.True(sessions > 0, "smbstatus shows no session of the booted guest");

        string shutDown = mode == "guard" ? $"{RootImage.ControlClient} relinquish --kexec" : "kill -QUIT 1";
        guest.Type($"{KexecLoad.GuestPath} /boot/vmlinuz /boot/initrd.img '{commandLine}' && {shutDown}");
        guest.WaitFor(KexecLoad.Loaded, TimeSpan.FromMinutes(1));
        guest.WaitFor(@"final: holder record released", TimeSpan.FromMinutes(2));
        guest.WaitFor(@"final: the root is released \(image closed, share unmounted\) in [\d.]+s; kexec", TimeSpan.FromMinutes(1));
        guest.WaitFor(@"kexec_core: Starting new kernel", TimeSpan.FromMinutes(1));

        // The new kernel boots the same image; its record was released, so at once.
        guest.WaitFor(@"SmbRoot \S+ starting", LabFixture.BootTimeout);
        guest.WaitFor(@"fencing: //10\.0\.2\.2/boot/kexec-\w+/root\.img is this machine's", LabFixture.BootTimeout);
        guest.WaitFor(RootImage.ReadyMarker, LabFixture.BootTimeout);
        Assert.False(guest.HasExited, "QEMU exited: the machine went through a reset, not a kexec");
        Assert.Equal(sessions, _lab.Samba.Sessions()); // the old boot's session logged off before the kexec
        Assert.Contains("state=held", File.ReadAllText(image + ".holder"));
    }

    /// <summary>
    /// relinquish --kexec=next: a fleet moves a machine to the version the pointer names now. The
    /// machine booted v1 through golden/current; v2 is published (with its kernel and initramfs beside
    /// it) and the pointer moved; one command releases v1 and boots v2, without the firmware.
    /// </summary>
    [Fact]
    public void Relinquish_kexec_next_boots_the_version_the_pointer_names_now()
    {
        const string directory = "kexec-next";
        string initrd = _lab.InitramfsWithCredentials();
        _lab.AddImage($"{directory}/v1.img", "ext4");
        string v2 = _lab.AddImage($"{directory}/v2.img", "ext4");
        string pointer = Path.Combine(Path.GetDirectoryName(v2)!, "current");
        File.WriteAllText(pointer, "v1.img\n");
        using var guest = _lab.Boot(initrd, _lab.CommandLine($"{directory}/current", "rd.overlay=tmpfs:size=16M"));
        guest.WaitFor(RootImage.ReadyMarker, LabFixture.BootTimeout);
        Assert.Contains($"image: {directory}/current points to v1.img", guest.Console);

        File.Copy(_lab.Kernel, v2 + ".vmlinuz");
        File.Copy(initrd, v2 + ".initrd");
        File.WriteAllText(pointer + ".new", "v2.img\n");
        File.Move(pointer + ".new", pointer, overwrite: true);
        guest.Type($"{RootImage.ControlClient} relinquish --kexec=next");
        guest.WaitFor(@"final: loaded kexec-next/v2\.img\.vmlinuz and kexec-next/v2\.img\.initrd for kexec", TimeSpan.FromMinutes(2));
        guest.WaitFor(@"final: the root is released \(image closed, share unmounted\) in [\d.]+s; kexec", TimeSpan.FromMinutes(1));
        guest.WaitFor(@"kexec_core: Starting new kernel", TimeSpan.FromMinutes(1));
        guest.WaitFor($"image: {directory}/current points to v2.img", LabFixture.BootTimeout);
        guest.WaitFor(RootImage.ReadyMarker, LabFixture.BootTimeout);
        Assert.False(guest.HasExited, "QEMU exited: the machine went through a reset, not a kexec");
    }
}
