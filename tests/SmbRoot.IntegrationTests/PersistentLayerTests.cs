using System.Security.Cryptography;
using SmbRoot.Lab;
using Xunit;

namespace SmbRoot.IntegrationTests;

/// <summary>
/// A persistent layer per machine (rd.overlay=cifs://…/{mac}.img) over one golden image: made at
/// the first boot, kept across a relinquish and a reboot, this machine's alone while it runs, refused
/// over another golden image until rd.overlay.reset, and a clean ext4 on the server at the end;
/// fenced like a read-write root when its cable is cut.
/// </summary>
[Collection(NetworkLabCollection.Name)]
public sealed class PersistentLayerTests(NetworkLabFixture fixture)
{
    private readonly Lab.Lab _lab = fixture.Lab;

    [Fact]
    public void A_persistent_layer_keeps_its_files_across_a_relinquish_and_a_reboot_and_belongs_to_one_machine()
    {
        const string golden = "persist/golden.img";
        string goldenPath = _lab.AddImage(golden, "ext4");
        _lab.AddImage("persist/other.img", "ext4");
        string goldenHash = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(goldenPath)));
        string initrd = _lab.InitramfsWithCredentials();
        string layerOption = $"rd.overlay=cifs://{LabNetwork.ServerAddress}/{SambaServer.ShareName}/persist/clients/{{mac}}.img";
        var nic = _lab.Network!.AddNic();
        string layerName = $"persist/clients/{nic.Mac.Replace(':', '-')}.img";
        string layerPath = Path.Combine(_lab.Samba.SharePath, layerName);
        string display = $@"//192\.168\.77\.1/boot/{layerName.Replace(".", @"\.")}";
        Directory.CreateDirectory(Path.GetDirectoryName(layerPath)!);

        // First boot: the layer is made, grown to its size, stamped, claimed.
        string machineId;
        using (var first = _lab.BootOnNetwork(initrd, _lab.NetworkCommandLine(golden, 41, $"{layerOption} rd.overlay.create=256M"), [nic]))
        {
            first.WaitFor(RootImage.ReadyMarker, LabFixture.BootTimeout);
            Assert.Matches($@"overlay: making an empty ext4 filesystem in {display} \(new; 256 MiB\)", first.Console);
            Assert.Contains("overlay: the layer's filesystem fills its 256 MiB", first.Console);
            Assert.Contains("overlay: the layer is stamped with the golden image persist/golden.img", first.Console);
            Assert.Matches($@"fencing: {display} is this machine's", first.Console);
            string opens = _lab.Samba.OpenFiles();
            Assert.Contains(opens.Split('\n'), line => line.Contains(golden) && line.Contains("RDONLY"));
            Assert.Contains(opens.Split('\n'), line => line.Contains(layerName) && line.Contains("RDWR"));
            Assert.True(File.Exists(layerPath + ".holder"), "the layer's holder record is beside it");
            Assert.False(File.Exists(goldenPath + ".holder"), "nobody owns the golden image");

            first.Type("echo kept-by-$(hostname) > /etc/kept; sync; echo ID-$(cat /etc/machine-id)");
            machineId = first.WaitFor(@"ID-([0-9a-f]{32})", TimeSpan.FromMinutes(1)).Groups[1].Value;
            first.Type($"{RootImage.ControlClient} status");
            first.WaitFor($@"overlay:\s+the layer {display} \(ext4 on /dev/loop\d\) on /run/overlayfs \(\d+\.\d of 2\d\d\.\d MiB used \(\d+%\)\), kept", TimeSpan.FromMinutes(1));

            // A second machine naming the same layer is refused: the layer is the first one's.
            var otherNic = _lab.Network.AddNic();
            using var second = _lab.BootOnNetwork(initrd, _lab.NetworkCommandLine(golden, 42,
                $"rd.overlay=cifs://{LabNetwork.ServerAddress}/{SambaServer.ShareName}/{layerName}"), [otherNic]);
            second.WaitFor($@"the layer {display} is in use by another machine, guest41 \(MAC {nic.Mac}", LabFixture.BootTimeout);
            second.WaitFor("Type r and Enter to retry the boot", TimeSpan.FromSeconds(30)); // what it built is undone by then
            second.Dispose();

            first.Type($"{RootImage.ControlClient} relinquish --halt");
            first.WaitFor(@"final: /dev/loop\d detached; the layer is closed", TimeSpan.FromMinutes(2));
            first.WaitFor("final: holder record released", TimeSpan.FromSeconds(30));
            Released.WhileHalted(_lab, first, layerPath, "ext4");
        }
        long allocated = long.Parse(Shell.Run("stat", "-c", "%b", layerPath).Trim()) * 512;
        Assert.True(allocated < 64L << 20, $"the 256 MiB layer is sparse on the server: {allocated >> 20} MiB allocated");

        // Reboot: the same file, the same machine id; the layer is used as it is.
        using (var again = _lab.BootOnNetwork(initrd, _lab.NetworkCommandLine(golden, 41, layerOption), [nic]))
        {
            again.WaitFor(RootImage.ReadyMarker, LabFixture.BootTimeout);
            Assert.DoesNotContain("making an empty ext4 filesystem", again.Console);
            Assert.Contains("overlay: the layer's own /etc/machine-id and /etc/hostname (guest41)", again.Console);
            again.Type("echo GOT-$(cat /etc/kept) ID-$(cat /etc/machine-id)");
            again.WaitFor($"GOT-kept-by-guest41 ID-{machineId}", TimeSpan.FromMinutes(1));
            again.Type($"{RootImage.ControlClient} relinquish --halt");
            Released.WhileHalted(_lab, again, layerPath, "ext4");
        }

        // Over another golden image the layer is refused, and nothing is lost, not even a mount's mark in
        // its superblock (the stamp is read through a read-only noload mount); rd.overlay.reset starts it afresh.
        string layerHash = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(layerPath)));
        using (var refused = _lab.BootOnNetwork(initrd, _lab.NetworkCommandLine("persist/other.img", 41, layerOption), [nic]))
        {
            refused.WaitFor(@"the layer .* is refused: the layer was made on the golden image persist/golden\.img, and this boot's golden image persist/other\.img is another file \(file id", LabFixture.BootTimeout);
            refused.WaitFor("rd.overlay.reset to start the layer afresh", TimeSpan.FromSeconds(10));
            refused.WaitFor("Type r and Enter to retry the boot", TimeSpan.FromSeconds(30));
        }
        _lab.Samba.WaitUntilReleased(TimeSpan.FromSeconds(30));
        Assert.Equal(layerHash, Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(layerPath))));
        using (var reset = _lab.BootOnNetwork(initrd, _lab.NetworkCommandLine("persist/other.img", 41, layerOption + " rd.overlay.reset"), [nic]))
        {
            reset.WaitFor(RootImage.ReadyMarker, LabFixture.BootTimeout);
            Assert.Matches($@"overlay: making an empty ext4 filesystem in {display} \(rd\.overlay\.reset; 256 MiB\)", reset.Console);
            reset.Type("test -e /etc/kept && echo KEPT-AFTER-RESET || echo FRESH-AFTER-RESET");
            reset.WaitFor("FRESH-AFTER-RESET", TimeSpan.FromMinutes(1));
            reset.Type($"{RootImage.ControlClient} relinquish --halt");
            Released.WhileHalted(_lab, reset, layerPath, "ext4");
        }
        Assert.Equal(goldenHash, Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(goldenPath))));
    }

    [Fact]
    public void A_machine_cut_off_from_its_persistent_layer_fences_itself_and_the_layer_keeps_every_write_it_reported()
    {
        const string golden = "persist-cut/golden.img";
        string goldenPath = _lab.AddImage(golden, "ext4");
        string goldenHash = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(goldenPath)));
        string initrd = _lab.InitramfsWithCredentials();
        var nic = _lab.Network!.AddNic();
        const string layerName = "persist-cut/clients/guest43.img";
        string layerPath = Path.Combine(_lab.Samba.SharePath, layerName);
        Directory.CreateDirectory(Path.GetDirectoryName(layerPath)!);
        string options = $"rd.overlay=cifs://{LabNetwork.ServerAddress}/{SambaServer.ShareName}/persist-cut/clients/{{hostname}}.img rd.overlay.create=128M rd.fence.deadline=10";

        using var holder = _lab.BootOnNetwork(initrd, _lab.NetworkCommandLine(golden, 43, options), [nic]);
        holder.WaitFor(RootImage.ReadyMarker, LabFixture.BootTimeout);
        int reported = CableCut.WhileWriting(_lab, holder, nic);

        // Back on the network, the same machine takes its layer again at once and gives it back cleanly.
        _lab.Network.Reconnect(nic);
        using var again = _lab.BootOnNetwork(initrd, _lab.NetworkCommandLine(golden, 43, options), [nic]);
        again.WaitFor(RootImage.ReadyMarker, LabFixture.BootTimeout);
        Assert.Contains("this machine held it before this boot", again.Console);
        Assert.DoesNotContain("making an empty ext4 filesystem", again.Console);
        again.Type($"{RootImage.ControlClient} relinquish --halt");
        Released.WhileHalted(_lab, again, layerPath, "ext4");
        var sizes = Writing.FileSizes(layerPath, "/upper/fence");
        for (int i = 1; i <= reported; i++) Assert.Equal(1 << 20, sizes[$"A-{i}"]);
        Assert.Equal(goldenHash, Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(goldenPath))));
    }

    /// <summary>
    /// A file the administrator made (truncate -s) becomes a layer at its own size, whatever
    /// rd.overlay.create= says; once held, a layer whose start was lost is refused and left as it is,
    /// never reformatted.
    /// </summary>
    [Fact]
    public void A_layer_file_made_by_hand_keeps_its_size_and_a_held_one_that_lost_its_start_is_refused_untouched()
    {
        const string golden = "persist-hand/golden.img";
        _lab.AddImage(golden, "ext4");
        string initrd = _lab.InitramfsWithCredentials();
        var nic = _lab.Network!.AddNic();
        string layerName = $"persist-hand/clients/{nic.Mac.Replace(':', '-')}.img";
        string layerPath = Path.Combine(_lab.Samba.SharePath, layerName);
        string display = $@"//192\.168\.77\.1/boot/{layerName.Replace(".", @"\.")}";
        Directory.CreateDirectory(Path.GetDirectoryName(layerPath)!);
        using (var file = File.Create(layerPath)) file.SetLength(192L << 20);
        string options = $"rd.overlay=cifs://{LabNetwork.ServerAddress}/{SambaServer.ShareName}/persist-hand/clients/{{mac}}.img";

        using (var first = _lab.BootOnNetwork(initrd, _lab.NetworkCommandLine(golden, 44, options + " rd.overlay.create=128M"), [nic]))
        {
            first.WaitFor(RootImage.ReadyMarker, LabFixture.BootTimeout);
            Assert.Matches($@"overlay: making an empty ext4 filesystem in {display} \(all zeros so far; 192 MiB\)", first.Console);
            first.Type($"{RootImage.ControlClient} relinquish --halt");
            Released.WhileHalted(_lab, first, layerPath, "ext4");
        }
        Assert.Equal(192L << 20, new FileInfo(layerPath).Length);

        // Zeros over all that the boot reads to name a filesystem: the first 64 KiB, and btrfs's magic just past them.
        using (var stream = new FileStream(layerPath, FileMode.Open, FileAccess.Write)) stream.Write(new byte[128 * 1024]);
        string damaged = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(layerPath)));
        using (var refused = _lab.BootOnNetwork(initrd, _lab.NetworkCommandLine(golden, 44, options + " rd.overlay.create=128M"), [nic]))
        {
            refused.WaitFor($@"the layer {display} begins with 64 KiB of zeros, but it has been used before \(it has a holder record\): it is damaged, not new", LabFixture.BootTimeout);
            refused.WaitFor("Type r and Enter to retry the boot", TimeSpan.FromSeconds(30));
            Assert.DoesNotContain("making an empty ext4 filesystem", refused.Console);
        }
        _lab.Samba.WaitUntilReleased(TimeSpan.FromSeconds(30));
        Assert.Equal(damaged, Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(layerPath))));
    }
}
