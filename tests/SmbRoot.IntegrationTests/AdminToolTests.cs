using SmbRoot.Admin;
using SmbRoot.Lab;
using Xunit;

namespace SmbRoot.IntegrationTests;

/// <summary>
/// The administrator's tool against the lab's share, on the server's side: a holder that is live
/// while its machine runs, not live after a power cut, and released so that the next boot takes
/// the image at once instead of waiting out the holder's deadline.
/// </summary>
[Collection(LabCollection.Name)]
public sealed class AdminToolTests(LabFixture fixture)
{
    private readonly Lab.Lab _lab = fixture.Lab;

    private string Admin(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = AdminTool.Run(args, TextReader.Null, false, output, error);
        Assert.True(code == 0, $"smbroot-admin {string.Join(' ', args)} exited with {code}:\n{error}\n{output}");
        return output.ToString();
    }

    [Fact]
    public void Status_sees_a_live_holder_then_a_silent_one_after_a_power_cut_and_release_lets_the_next_boot_take_the_image()
    {
        const string path = "admin/node7.img";
        string image = _lab.AddImage(path, "ext4");
        string commandLine = _lab.CommandLine(path, "rd.fence.deadline=10 rd.fence.margin=5");
        var guest = _lab.Boot(_lab.InitramfsWithCredentials(), commandLine);
        try
        {
            guest.WaitFor(RootImage.ReadyMarker, LabFixture.BootTimeout);
            string live = Admin("status", _lab.Samba.SharePath);
            Assert.Matches(@"admin/node7\.img\s+512M\s+ext4\s+read-write", live);
            Assert.Matches(@"holder: smbroot-guest \(MAC 52:54:00:12:34:56, 10\.0\.2\.15, booted [^)]+\): live: renewed while watched", live);
        }
        finally
        {
            guest.Dispose(); // the power cut: QEMU is killed, and the server sees its connection close
        }

        string silent = Admin("status", _lab.Samba.SharePath, "--watch", "3");
        Assert.Matches(@"holder: smbroot-guest .*: silent: smbroot-guest has not renewed for \d s as this machine watched", silent);
        Assert.Contains("watched the holder records for 3", silent);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        string released = Admin("release", _lab.Samba.SharePath, path, "--margin", "5");
        Assert.InRange(clock.Elapsed.TotalSeconds, 15, 25); // the holder's deadline of 10 s and the margin, as this machine watched
        Assert.Contains("release: admin/node7.img released", released);
        Assert.Contains("state=released", File.ReadAllText(image + ".holder"));
        Assert.Matches(@"free: smbroot-guest released it cleanly", Admin("status", _lab.Samba.SharePath, "--json"));

        using var next = _lab.Boot(_lab.InitramfsWithCredentials(), commandLine);
        next.WaitFor(RootImage.ReadyMarker, LabFixture.BootTimeout);
        Assert.Matches(@"fencing: taking //10\.0\.2\.2/boot/admin/node7\.img: smbroot-guest released it cleanly", next.Console);
        Assert.DoesNotContain("unless it renews", next.Console);
    }

    [Fact]
    public void Publish_moves_new_boots_to_the_next_version_while_a_running_machine_keeps_its_own_and_rollback_goes_back()
    {
        const string directory = "admin-golden";
        string initrd = _lab.InitramfsWithCredentials();
        _lab.AddImage($"{directory}/v1.img", "ext4");
        _lab.AddImage($"{directory}/v2.img", "ext4");
        string pointer = $"{directory}/current";
        Admin("publish", _lab.Samba.SharePath, $"{directory}/v1.img", "--pointer", pointer);
        string commandLine = _lab.CommandLine(pointer, "rd.overlay=tmpfs:size=16M");
        using var old = _lab.Boot(initrd, commandLine);
        old.WaitFor(RootImage.ReadyMarker, LabFixture.BootTimeout);
        Assert.Contains($"image: {pointer} points to v1.img", old.Console);

        // The running version cannot be published again (it would be changed in place); the next one can.
        var again = new StringWriter();
        Assert.Equal(1, AdminTool.Run(["publish", _lab.Samba.SharePath, $"{directory}/v1.img", "--pointer", pointer], TextReader.Null, false, new StringWriter(), again));
        Assert.Contains("never changed in place", again.ToString());
        string published = Admin("publish", _lab.Samba.SharePath, $"{directory}/v2.img", "--pointer", pointer);
        Assert.Matches($@"checking {directory}/v2\.img \(ext4, \d+ MiB\) with e2fsck -f -n", published);
        Assert.Contains($"{pointer} names v2.img now (it named v1.img", published);
        Assert.Matches(@"v2\.img\s+\d+M\s+\S+ \S+\s+current", Admin("versions", _lab.Samba.SharePath, "--pointer", pointer));

        using (var next = _lab.Boot(initrd, commandLine))
        {
            next.WaitFor(RootImage.ReadyMarker, LabFixture.BootTimeout);
            Assert.Contains($"image: {pointer} points to v2.img", next.Console);
        }
        // The machine that booted v1 still runs it, and the server still has it open for that machine.
        old.Type($"{RootImage.ControlClient} status");
        old.WaitFor(@"version:\s+v1\.img \(named by admin-golden/current at boot\)", TimeSpan.FromMinutes(1));
        Assert.Contains($"{directory}/v1.img", _lab.Samba.OpenFiles());

        Assert.Contains($"{pointer} names v1.img again", Admin("rollback", _lab.Samba.SharePath, "--pointer", pointer));
        Assert.Equal("v1.img\n", File.ReadAllText(Path.Combine(_lab.Samba.SharePath, pointer)));
    }

    [Fact]
    public void Layer_reset_gives_the_next_boot_an_empty_layer_and_remove_takes_it_away()
    {
        const string golden = "admin-layer/golden.img";
        const string layer = "admin-layer/clients/smbroot-guest.img";
        string goldenPath = _lab.AddImage(golden, "ext4");
        string layerPath = Path.Combine(_lab.Samba.SharePath, layer);
        Directory.CreateDirectory(Path.GetDirectoryName(layerPath)!);
        string commandLine = _lab.CommandLine(golden,
            $"rd.overlay=cifs://10.0.2.2/{SambaServer.ShareName}/admin-layer/clients/{{hostname}}.img rd.overlay.create=64M");
        using (var first = _lab.Boot(_lab.InitramfsWithCredentials(), commandLine))
        {
            first.WaitFor(RootImage.ReadyMarker, LabFixture.BootTimeout);
            first.Type("echo kept > /etc/kept; sync; echo WROTE");
            first.WaitFor("^WROTE", TimeSpan.FromMinutes(1));
            // Held by a live machine: the reset waits, and --now without the holder's name is refused.
            var refused = new StringWriter();
            Assert.Equal(2, AdminTool.Run(["layer", "reset", _lab.Samba.SharePath, layer, "--now"], TextReader.Null, false, new StringWriter(), refused));
            Assert.Contains("--confirm smbroot-guest", refused.ToString());
            first.Type($"{RootImage.ControlClient} relinquish --halt");
            Released.WhileHalted(_lab, first, goldenPath, "ext4");
        }

        Assert.Contains($"layer reset: {layer} starts afresh", Admin("layer", "reset", _lab.Samba.SharePath, layer));
        Assert.False(File.Exists(layerPath + ".holder"));
        using (var second = _lab.Boot(_lab.InitramfsWithCredentials(), commandLine))
        {
            second.WaitFor(RootImage.ReadyMarker, LabFixture.BootTimeout);
            Assert.Matches(@"overlay: making an empty ext4 filesystem in //10\.0\.2\.2/boot/admin-layer/clients/smbroot-guest\.img \(all zeros so far; 64 MiB\)", second.Console);
            second.Type("cat /etc/kept || echo GONE");
            second.WaitFor("^GONE", TimeSpan.FromMinutes(1));
            second.Type($"{RootImage.ControlClient} relinquish --halt");
            Released.WhileHalted(_lab, second, goldenPath, "ext4");
        }

        Assert.Contains($"layer remove: {layer} and its holder record are gone", Admin("layer", "remove", _lab.Samba.SharePath, layer));
        Assert.False(File.Exists(layerPath));
    }

    [Fact]
    public void The_initramfs_verb_makes_what_a_boot_server_serves_and_a_machine_boots_from_it_with_its_own_login()
    {
        const string path = "admin-initramfs/root.img";
        _lab.AddImage(path, "ext4");
        string site = Path.Combine(_lab.WorkDirectory, "boot-server");
        string config = Path.Combine(_lab.WorkDirectory, "mkinitramfs.conf");
        File.WriteAllText(config, $"SMBROOT_ENABLE=yes\nSMBROOT_OPTIONS=\"--nic virtio_pci,virtio_net --filesystem ext4 --compression {InitramfsFile.CompressionOf(_lab.Initramfs)}\"\n");
        string machines = Path.Combine(_lab.WorkDirectory, "machines");
        File.WriteAllText(machines, $"# the site's machines\nnode7 {SambaServer.User}\nnode8 someone-else\n");
        var output = new StringWriter();
        var error = new StringWriter();
        int code = AdminTool.Run(["initramfs", site, "--kernel-version", _lab.KernelVersion, "--config", config, "--machines", machines,
            "--init", Path.Combine(_lab.RepositoryRoot, "out/bin/smbroot")], new StringReader(_lab.Samba.UserPassword + "\nother-password\n"), false, output, error);
        Assert.True(code == 0, $"initramfs exited with {code}:\n{error}\n{output}");
        Assert.Contains("[1/3]", error.ToString());
        Assert.DoesNotContain(_lab.Samba.UserPassword, output.ToString() + error);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.Combine(site, "secrets")));
        foreach (var machine in new[] { "node7", "node8" })
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(site, "secrets", machine + ".cpio")));
        }
        Assert.Equal(-1, InitramfsFile.Unpacked(Path.Combine(site, "initramfs.img")).AsSpan().IndexOf(System.Text.Encoding.UTF8.GetBytes(_lab.Samba.UserPassword)));

        using var guest = _lab.Boot(_lab.TwoInitrds(Path.Combine(site, "initramfs.img"), Path.Combine(site, "secrets", "node7.cpio"), "site-and-node7.img"),
            _lab.CommandLine(path), kernel: Path.Combine(site, "vmlinuz"));
        guest.WaitFor(RootImage.ReadyMarker, LabFixture.BootTimeout);
        Assert.DoesNotContain("no credentials file", guest.Console);
        Assert.Contains(path, _lab.Samba.OpenFiles());
    }

    [Fact]
    public void Gc_keeps_the_current_the_recent_and_the_running_versions_and_deletes_the_rest()
    {
        const string directory = "admin-gc";
        string pointer = $"{directory}/current";
        foreach (var version in new[] { "v1", "v2", "v3", "v4" }) _lab.AddImage($"{directory}/{version}.img", "ext4");
        Admin("publish", _lab.Samba.SharePath, $"{directory}/v1.img", "--pointer", pointer);
        using var running = _lab.Boot(_lab.InitramfsWithCredentials(), _lab.CommandLine(pointer, "rd.overlay=tmpfs:size=16M"));
        running.WaitFor(RootImage.ReadyMarker, LabFixture.BootTimeout);
        foreach (var version in new[] { "v2", "v3", "v4" }) Admin("publish", _lab.Samba.SharePath, $"{directory}/{version}.img", "--pointer", pointer);

        string listed = Admin("gc", _lab.Samba.SharePath, "--pointer", pointer, "--keep", "1");
        Assert.Contains($"{directory}/v1.img: kept, a process on this server has it open: a machine still runs it", listed);
        Assert.Contains($"{directory}/v2.img: would be deleted", listed);
        Assert.Contains($"{directory}/v3.img: kept, one of the last 1 versions", listed);
        Assert.Contains($"{directory}/v4.img: kept, {pointer} names it", listed);
        Assert.True(File.Exists(Path.Combine(_lab.Samba.SharePath, directory, "v2.img")), "gc without --delete deletes nothing");

        Assert.Contains($"{directory}/v2.img: deleted", Admin("gc", _lab.Samba.SharePath, "--pointer", pointer, "--keep", "1", "--delete"));
        Assert.Equal(["v1.img", "v3.img", "v4.img"], Directory.GetFiles(Path.Combine(_lab.Samba.SharePath, directory), "*.img").Select(Path.GetFileName).Order());
    }
}
