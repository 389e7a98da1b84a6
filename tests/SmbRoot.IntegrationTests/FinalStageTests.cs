using SmbRoot.Lab;
using Xunit;

namespace SmbRoot.IntegrationTests;

/// <summary>
/// The final stage as systemd reaches it: systemd-shutdown pivots into /run/initramfs and execs
/// /shutdown VERB with its own options (src/shutdown/shutdown.c). A busybox root plays that part
/// here: busybox init, on SIGQUIT, stops every process and execs its ::restart: action as PID 1,
/// which makes the same moves. Whatever the options say, the root must be released, and a halt
/// must stay a halt.
/// </summary>
[Collection(LabCollection.Name)]
public sealed class FinalStageTests(LabFixture fixture)
{
    private readonly Lab.Lab _lab = fixture.Lab;

    /// <summary>
    /// What systemd-shutdown does last: switch into /run/initramfs, then exec /shutdown VERB with its
    /// options. <paramref name="beforeExec"/> runs in between, when the system has nothing left to write.
    /// </summary>
    internal static string SystemdShutdownScript(string timeout, string beforeExec = "", string verb = "halt") => $$"""
        #!/bin/sh
        sync
        mount --make-rprivate /
        mount --bind /run/initramfs /run/initramfs
        cd /run/initramfs
        pivot_root . oldroot
        {{beforeExec}}
        exec /oldroot/bin/busybox chroot . /shutdown {{verb}} --log-level=info --log-target=kmsg --timeout={{timeout}} --exit-code=0
        """;

    // DefaultTimeoutStopSec=1000s and =infinity (USEC_INFINITY = 2^64-1 us) once skipped every release.
    // Without a watchdog (never opened then), the helper's twin is the fence's keeper when the helper is killed.
    [Theory]
    [InlineData("1000000000us")]
    [InlineData("18446744073709551615us")]
    public void A_systemd_style_shutdown_with_a_long_timeout_releases_the_root_and_halts(string timeout)
    {
        string pathInShare = $"systemd-timeout-{timeout.Length}/root.img";
        var files = new Dictionary<string, byte[]> { ["/sbin/systemd-shutdown-lab"] = System.Text.Encoding.UTF8.GetBytes(SystemdShutdownScript(timeout)) };
        string image = _lab.AddImage(pathInShare, "ext4", extraInittab: "::restart:/sbin/systemd-shutdown-lab\n", extraFiles: files);
        using var guest = _lab.Boot(_lab.InitramfsWithCredentials(),
            _lab.CommandLine(pathInShare, "smbroot.mode=handoff rd.fence.watchdog=none rd.fence.deadline=10 rd.fence.margin=5"));
        guest.WaitFor(RootImage.ReadyMarker, LabFixture.BootTimeout);
        // Handoff mode: SmbRoot is gone from PID 1, and its helper keeps the claim, named so that systemd spares it.
        var helper = guest.Seen(@"handoff: @smbroot-holder \(pid (\d+)\) keeps the claim on the image");
        // busybox ps shows /proc/PID/cmdline, where systemd looks for the '@': the helper and its twin.
        WaitForHolders(guest, 2);
        guest.Type("echo WATCHDOG_OPEN=$(ls -l /proc/[0-9]*/fd 2>/dev/null | grep -c /dev/watchdog)");
        guest.WaitFor(@"^WATCHDOG_OPEN=0\r?$", TimeSpan.FromSeconds(20));

        // An administrator kills the helper: its twin keeps the claim, renews it and starts a twin of its own.
        guest.Type($"kill -9 {helper.Groups[1].Value}");
        guest.WaitFor(@"holder helper: ended; its twin \(pid \d+\) keeps the claim from the last proof", TimeSpan.FromSeconds(20));
        long renewed = Renewal(image);
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(15);
        while (Renewal(image) <= renewed && DateTime.UtcNow < until) Thread.Sleep(250);
        Assert.True(Renewal(image) > renewed, $"the record was not renewed after the helper was killed (renewal={renewed})");
        WaitForHolders(guest, 2);

        guest.Type("kill -QUIT 1");
        guest.WaitFor(@"final: holder record released", TimeSpan.FromMinutes(2));
        guest.WaitFor(@"final: the root is released", TimeSpan.FromMinutes(1));
        Assert.DoesNotContain("unexpected FormatException", guest.Console);
        Released.WhileHalted(_lab, guest, image, "ext4"); // and halt stays halt: the guest keeps running
        Assert.Contains("state=released", File.ReadAllText(image + ".holder"));
    }

    private static void WaitForHolders(QemuMachine guest, int count)
    {
        guest.Type($"for i in 1 2 3 4 5 6 7 8 9 10; do n=$(ps -o args | grep -c '@smbroot-holder *$'); [ $n = {count} ] && break; sleep 1; done; echo HOLDERS=$n");
        guest.WaitFor($@"^HOLDERS={count}\r?$", TimeSpan.FromSeconds(20));
    }

    private static long Renewal(string image) =>
        long.Parse(System.Text.RegularExpressions.Regex.Match(File.ReadAllText(image + ".holder"), @"renewal=(\d+)").Groups[1].Value);

    /// <summary>
    /// Handoff mode over a golden image (no claim): @smbroot-holder only checks that the image's name
    /// still names the file booted. The final stage stops it before it releases the root; and an
    /// image replaced in place makes it fence, as PID 1 does in guard mode.
    /// </summary>
    [Fact]
    public void In_handoff_mode_the_helper_checks_a_golden_image_and_the_final_stage_stops_it()
    {
        const string pathInShare = "handoff-golden/golden.img";
        var files = new Dictionary<string, byte[]> { ["/sbin/systemd-shutdown-lab"] = System.Text.Encoding.UTF8.GetBytes(SystemdShutdownScript("90000000us")) };
        string image = _lab.AddImage(pathInShare, "ext4", extraInittab: "::restart:/sbin/systemd-shutdown-lab\n", extraFiles: files);
        string commandLine = _lab.CommandLine(pathInShare, "smbroot.mode=handoff rd.overlay=tmpfs:size=16M");
        using (var guest = _lab.Boot(_lab.InitramfsWithCredentials(), commandLine))
        {
            guest.WaitFor(RootImage.ReadyMarker, LabFixture.BootTimeout);
            Assert.Matches(@"handoff: @smbroot-holder \(pid \d+\) checks that the image is still the file booted from here", guest.Console);
            guest.Type("kill -QUIT 1");
            guest.WaitFor(@"final: the root is released \(image closed, share unmounted\)", TimeSpan.FromMinutes(2));
            Released.WhileHalted(_lab, guest, image, "ext4");
        }
        Assert.False(File.Exists(image + ".holder"), "nobody owns a golden image");

        using var replaced = _lab.Boot(_lab.InitramfsWithCredentials(), commandLine);
        replaced.WaitFor(RootImage.ReadyMarker, LabFixture.BootTimeout);
        File.Copy(image, image + ".new");
        File.Move(image + ".new", image, overwrite: true);
        replaced.WaitFor(@"fencing: the image //10\.0\.2\.2/boot/handoff-golden/golden\.img on the server is not the file this machine booted", TimeSpan.FromSeconds(30));
        Assert.True(replaced.WaitForExit(TimeSpan.FromSeconds(20)), "the machine whose image was replaced did not reset");
    }
}
