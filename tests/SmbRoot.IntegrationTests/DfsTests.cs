using System.Security.Cryptography;
using System.Text.RegularExpressions;
using SmbRoot.Admin;
using SmbRoot.Lab;
using Xunit;

namespace SmbRoot.IntegrationTests;

/// <summary>
/// A golden image on two independent servers behind a DFS link (<see cref="DfsTargets"/>): the
/// machine names the namespace, the cifs client follows the link to a target, and when that
/// server dies, to the other. The guard takes the other copy for the image booted by its content
/// stamp and head, and fences when the other target holds another image under the name.
/// A read-write image and a layer behind a link are refused, and so is a link whose target is a host name (no dns_resolver upcall).
/// </summary>
[Collection(NetworkLabCollection.Name)]
public sealed class DfsTests(NetworkLabFixture fixture)
{
    private readonly Lab.Lab _lab = fixture.Lab;

    /// <summary>The guest's reader: each second, the page cache dropped and busybox read from the image again, with its MD5.</summary>
    private const string Reader = "while true; do echo 3 > /proc/sys/vm/drop_caches; echo READ $(md5sum /bin/busybox | cut -c1-32); sleep 1; done &";

    private static int Reads(QemuMachine guest) => Regex.Matches(guest.Console, @"^READ [0-9a-f]{32}", RegexOptions.Multiline).Count;

    [Fact]
    public void A_golden_image_behind_a_DFS_link_goes_on_from_the_other_target_when_its_server_dies()
    {
        using var targets = Targets();
        string[] copies = Publish(targets, "dfs-v1.img", "v1.img");
        string hash = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(copies[0])));
        string busybox = Convert.ToHexString(MD5.HashData(File.ReadAllBytes(Shell.Require("busybox", "busybox-static")))).ToLowerInvariant();
        using var guest = _lab.BootOnNetwork(_lab.InitramfsWithCredentials(), DfsTargets.CommandLine(0, "current", 40, "rd.overlay=tmpfs smbroot.halt=halt"), [_lab.Network!.AddNic()]);
        guest.WaitFor($@"image: //{Regex.Escape(DfsTargets.Address(0))}/dfs/golden/v1.img is behind a DFS link; its content stamp \(sha256:[0-9a-f]{{12}}", LabFixture.BootTimeout);
        guest.WaitFor(RootImage.ReadyMarker, LabFixture.BootTimeout);
        guest.Type(Reader);
        guest.WaitFor(@"(?s)READ .*READ .*READ", TimeSpan.FromSeconds(30));

        // The lab's server gives the link's targets in their order (no shuffle), so the namespace's own server serves
        // the image, and its death takes both: the hardest case, where even the namespace must be done without.
        int serving = targets.Serving("v1.img") ?? throw new InvalidOperationException("neither target has the image open");
        Assert.Equal(0, serving);
        int survivor = 1 - serving;
        int before = Reads(guest);
        var clock = System.Diagnostics.Stopwatch.StartNew();
        targets.Kill(serving);
        while (Reads(guest) <= before + 1) // the read in flight at the kill may have finished before it
        {
            Assert.True(clock.Elapsed < TimeSpan.FromMinutes(1), "the guest's reads did not go on within a minute of its target's death");
            Thread.Sleep(100);
        }
        Console.WriteLine($"dfs: server {serving} killed (the namespace's and the target's); two more reads (one a second) within {clock.Elapsed.TotalSeconds:0.0} s, from server {survivor}");
        // The copies' modification times differ (copied a minute apart, as a replica often is): only the stamp and head say they are one image.
        guest.WaitFor($@"guard: the image //{Regex.Escape(DfsTargets.Address(0))}/dfs/golden/v1.img is served by another file now \(.*content stamp \(sha256:[0-9a-f]{{12}}\) and first 128 KiB are the image's", TimeSpan.FromSeconds(60));
        while (Reads(guest) < before + 3) guest.WaitFor(@"READ", TimeSpan.FromSeconds(30));
        Assert.All(Regex.Matches(guest.Console, @"^READ (\S+)", RegexOptions.Multiline), read => Assert.Equal(busybox, read.Groups[1].Value));
        Assert.Contains("v1.img", targets.Status(survivor, "-L"));
        Assert.DoesNotContain("rebooting now", guest.Console);

        guest.Type("kill %1; wait");
        guest.Type($"{RootImage.ControlClient} relinquish --halt");
        // The namespace's own server is dead too: the unmount must not wait for it (ShareMount.Unmount).
        guest.WaitFor(@"final: the root is released \(image closed, share unmounted\)", TimeSpan.FromMinutes(1));
        guest.WaitFor(@"reboot: System halted", TimeSpan.FromMinutes(1));
        SambaServer.WaitUntilReleased(() => targets.Status(survivor), TimeSpan.FromSeconds(30), $"{LabNetwork.Subnet}.50");
        Assert.Equal(hash, Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(copies[survivor]))));
        RootImage.Check(copies[survivor], "ext4");
    }

    [Fact]
    public void Another_image_under_the_name_on_the_other_target_fences_and_a_read_write_image_a_layer_or_a_target_by_name_is_refused()
    {
        using var targets = Targets();
        Publish(targets, "dfs-v2.img", "v2.img");
        string initrd = _lab.InitramfsWithCredentials();
        using (var guest = _lab.BootOnNetwork(initrd, DfsTargets.CommandLine(0, "current", 41, "rd.overlay=tmpfs smbroot.halt=halt"), [_lab.Network!.AddNic()]))
        {
            guest.WaitFor(RootImage.ReadyMarker, LabFixture.BootTimeout);
            int serving = targets.Serving("v2.img") ?? throw new InvalidOperationException("neither target has the image open");
            // An administrator's mistake on the other target: another image, published there on its own, copied over the name.
            string other = _lab.AddImage("dfs-other/v2.img", "ext4");
            ImageStamping.Stamp(other, DateTimeOffset.UtcNow, new ProgressLine(TextWriter.Null, "stamping"), out _);
            File.Copy(other, targets.ImagePath(1 - serving, "v2.img"), overwrite: true);
            guest.Type(Reader);
            guest.WaitFor(@"(?s)READ .*READ", TimeSpan.FromSeconds(30));
            targets.Kill(serving);
            guest.WaitFor(@"the image //\S+/dfs/golden/v2.img on the server is not the file this machine booted: .*its content stamp is sha256:[0-9a-f]{12} where the image booted has sha256:[0-9a-f]{12}", TimeSpan.FromSeconds(60));
            guest.WaitFor("rebooting now, before this machine reads a different filesystem", TimeSpan.FromSeconds(10));
        }

        string survivorAddress = DfsTargets.Address(targets.Alive);
        using (var rw = _lab.BootOnNetwork(initrd, DfsTargets.CommandLine(targets.Alive, "v2.img", 42, "smbroot.halt=halt"), [_lab.Network!.AddNic()]))
        {
            rw.WaitFor($@"the image //{Regex.Escape(survivorAddress)}/dfs/golden/v2.img is behind a DFS link: .*A read-write image must never move between servers", LabFixture.BootTimeout);
            rw.WaitFor("Type r and Enter", TimeSpan.FromSeconds(30));
        }
        string layer = $"rd.overlay=cifs://{survivorAddress}/{DfsTargets.NamespaceShare}/{DfsTargets.Link}/layers/{{hostname}}.img rd.overlay.create=64M";
        Directory.CreateDirectory(targets.ImagePath(targets.Alive, "layers"));
        using (var layered = _lab.BootOnNetwork(initrd, DfsTargets.CommandLine(targets.Alive, "current", 43, layer), [_lab.Network!.AddNic()]))
        {
            layered.WaitFor(@"the layer //\S+/dfs/golden/layers/guest43.img is behind a DFS link: .*A layer must never move between servers", LabFixture.BootTimeout);
            layered.WaitFor("Type r and Enter", TimeSpan.FromSeconds(30));
        }
        Assert.False(File.Exists(targets.ImagePath(targets.Alive, "layers/guest43.img")), "the refused layer was not made");

        using var named = _lab.BootOnNetwork(initrd, DfsTargets.CommandLine(targets.Alive, "current", 44, "rd.overlay=tmpfs").Replace($"/{DfsTargets.Link}/", $"/{DfsTargets.NamedLink}/"), [_lab.Network!.AddNic()]);
        named.WaitFor(@"is behind a DFS link whose target is named by host name: .*dns_resolver upcall", LabFixture.BootTimeout);
        named.WaitFor("Type r and Enter", TimeSpan.FromSeconds(30));
        Assert.False(File.Exists(targets.ImagePath(targets.Alive, "v2.img" + Core.Fencing.HolderRecord.FileSuffix)), "no holder record was written for the refused image");
    }

    /// <summary>
    /// Handoff mode: @smbroot-holder checks the image; it opened the image's directory at its start,
    /// so it follows the image to the other target when the namespace's server dies with its
    /// target, and the final stage (started as systemd starts it) lets the share go without that server.
    /// </summary>
    [Fact]
    public void In_handoff_mode_the_helper_follows_the_image_to_the_other_target_and_the_final_stage_lets_the_share_go()
    {
        using var targets = Targets();
        var files = new Dictionary<string, byte[]> { ["/sbin/systemd-shutdown-lab"] = System.Text.Encoding.UTF8.GetBytes(FinalStageTests.SystemdShutdownScript("90000000us")) };
        Publish(targets, "dfs-v4.img", "v4.img", "::restart:/sbin/systemd-shutdown-lab\n", files);
        using var guest = _lab.BootOnNetwork(_lab.InitramfsWithCredentials(), DfsTargets.CommandLine(0, "current", 45, "smbroot.mode=handoff rd.overlay=tmpfs:size=16M"), [_lab.Network!.AddNic()]);
        guest.WaitFor(RootImage.ReadyMarker, LabFixture.BootTimeout);
        Assert.Matches(@"handoff: @smbroot-holder \(pid \d+\) checks that the image is still the file booted from here", guest.Console);
        guest.Type(Reader);
        guest.WaitFor(@"(?s)READ .*READ", TimeSpan.FromSeconds(30));
        Assert.Equal(0, targets.Serving("v4.img"));
        targets.Kill(0);
        guest.WaitFor($@"the image //{Regex.Escape(DfsTargets.Address(0))}/dfs/golden/v4.img is served by another file now \(.*content stamp", TimeSpan.FromSeconds(60));
        Assert.Contains("v4.img", targets.Status(1, "-L"));
        guest.Type("kill %1; wait");
        guest.Type("kill -QUIT 1");
        guest.WaitFor(@"final: the root is released \(image closed, share unmounted\)", TimeSpan.FromMinutes(2));
        SambaServer.WaitUntilReleased(() => targets.Status(1), TimeSpan.FromSeconds(30), $"{LabNetwork.Subnet}.55");
        Assert.DoesNotContain("rebooting now", guest.Console);
    }

    private DfsTargets Targets() => new(_lab.Network!, Path.Combine(_lab.WorkDirectory, "dfs"), _lab.Samba.UserPassword);

    /// <summary>An image made and published on target 0, copied to target 1 (<see cref="DfsTargets.Publish"/>); each target's copy.</summary>
    private string[] Publish(DfsTargets targets, string source, string name, string? extraInittab = null, IReadOnlyDictionary<string, byte[]>? extraFiles = null)
    {
        var (copies, said) = targets.Publish(_lab.AddImage("dfs-source/" + source, "ext4", extraInittab: extraInittab, extraFiles: extraFiles), name);
        Assert.Contains("is stamped with its content's digest", said);
        return copies;
    }
}
