using System.Security.Cryptography;
using System.Text.RegularExpressions;
using SmbRoot.Lab;
using Xunit;

namespace SmbRoot.IntegrationTests;

/// <summary>
/// The root on clustered Samba (CTDB, two nodes on the lab bridge, <see cref="CtdbCluster"/>): the
/// node serving the public address dies while the machine writes fsync'd blocks; CTDB moves the
/// address, the cifs client reconnects to it, now served by the other node, and reopens the image.
/// Checked on the surviving node's smbstatus, the console, the data and the filesystem.
/// </summary>
[Collection(NetworkLabCollection.Name)]
public sealed class CtdbTests(NetworkLabFixture fixture)
{
    private readonly Lab.Lab _lab = fixture.Lab;

    private CtdbCluster Cluster(CtdbCluster.Tunables? tunables = null) =>
        new(_lab.Network!, Path.Combine(_lab.WorkDirectory, "ctdb"), _lab.Samba.SharePath, _lab.Samba.UserPassword, tunables: tunables);

    [Fact]
    public void A_read_write_root_rides_out_the_death_of_its_node_with_every_fsynced_block_and_its_claim()
    {
        const string image = "ctdb-rw/root.img";
        string imagePath = _lab.AddImage(image, "ext4");
        string initrd = _lab.InitramfsWithCredentials();
        using var cluster = Cluster();
        // A deadline of 10 s renews every 2 s, so a stall of 3 s or more meets a renewal and the console says it.
        using var guest = _lab.BootOnNetwork(initrd, CtdbCluster.CommandLine(image, 31, "rd.fence.deadline=10 smbroot.halt=halt"), [_lab.Network!.AddNic()]);
        var failover = FailoverWhileWriting(cluster, guest);
        // Open again on the survivor once the client has reopened it; after a write it could not replay (the
        // journal aborted), the image is not reopened, and exclusivity is the holder record's alone (checked below).
        if (!failover.JournalAborted) Assert.Contains(image, cluster.Status(failover.Survivor, "-L"));
        SecondMachineRefused(initrd, image, "image", image);
        int written = HaltAndRelease(cluster, failover.Survivor, guest, 31);
        EveryReportedBlock(imagePath, "/fence", failover, written);
    }

    [Fact]
    public void A_golden_root_with_a_persistent_layer_rides_out_the_death_of_its_node_and_the_layer_keeps_its_claim()
    {
        const string golden = "ctdb-golden/golden.img";
        string goldenPath = _lab.AddImage(golden, "ext4");
        string goldenHash = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(goldenPath)));
        const string layer = "ctdb-golden/layers/guest33.img";
        Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(_lab.Samba.SharePath, layer))!);
        string initrd = _lab.InitramfsWithCredentials();
        using var cluster = Cluster();
        string options = $"rd.overlay=cifs://{CtdbCluster.PublicAddress}/{SambaServer.ShareName}/ctdb-golden/layers/{{hostname}}.img rd.overlay.create=128M rd.fence.deadline=10 smbroot.halt=halt";
        using var guest = _lab.BootOnNetwork(initrd, CtdbCluster.CommandLine(golden, 33, options), [_lab.Network!.AddNic()]);
        var failover = FailoverWhileWriting(cluster, guest);
        // The layer is open on the survivor again; the golden image is reopened when next read, and what the
        // system reads of it is mostly in its page cache by now.
        Assert.Contains(layer, cluster.Status(failover.Survivor, "-L"));
        Assert.DoesNotContain("image: the booted image changed", guest.Console);
        SecondMachineRefused(initrd, golden, "layer", layer, $"rd.overlay=cifs://{CtdbCluster.PublicAddress}/{SambaServer.ShareName}/{layer}");
        int written = HaltAndRelease(cluster, failover.Survivor, guest, 33);
        EveryReportedBlock(Path.Combine(_lab.Samba.SharePath, layer), "/upper/fence", failover, written);
        Assert.Equal(goldenHash, Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(goldenPath))));
    }

    /// <summary>
    /// A node that dies silently (power lost: not a packet leaves it) is noticed only when its
    /// keepalives stop: with CTDB's defaults after 25-30 s, with the README's KeepaliveInterval=1
    /// and KeepaliveLimit=3 after about 4 s. The root rides it out as it rides out a crash.
    /// </summary>
    [Fact]
    public void A_read_write_root_rides_out_a_silent_node_death_with_the_keepalive_the_readme_gives()
    {
        const string image = "ctdb-silent/root.img";
        string imagePath = _lab.AddImage(image, "ext4");
        string initrd = _lab.InitramfsWithCredentials();
        using var cluster = Cluster(new CtdbCluster.Tunables(KeepaliveInterval: 1, KeepaliveLimit: 3));
        using var guest = _lab.BootOnNetwork(initrd, CtdbCluster.CommandLine(image, 34, "rd.fence.deadline=15 smbroot.halt=halt"), [_lab.Network!.AddNic()]);
        var failover = FailoverWhileWriting(cluster, guest, silently: true);
        Assert.Contains(image, cluster.Status(failover.Survivor, "-L"));
        int written = HaltAndRelease(cluster, failover.Survivor, guest, 34);
        EveryReportedBlock(imagePath, "/fence", failover, written);
    }

    /// <summary>How often the holder record is renewed at the deadlines these tests give (rd.fence.deadline=10 or 15: 2 or 3 s).</summary>
    private static readonly TimeSpan RenewalInterval = TimeSpan.FromSeconds(3);

    /// <summary>What a failover did: the node that took over, the blocks reported before the kill, and whether the filesystem aborted its journal.</summary>
    private sealed record Failover(int Survivor, int BeforeKill, bool JournalAborted);

    /// <summary>
    /// While the guest writes 1 MiB fsync'd files, the node serving the public address dies; returns
    /// once the survivor holds the address and the guest's writes have gone on, or its filesystem has
    /// aborted its journal: a write the client could not replay after the reconnect fails the loop
    /// device (README "More than one server"), which happens in some runs. Either way the console
    /// says the stall (a renewal waited through it) and nothing of fencing.
    /// </summary>
    /// <param name="silently">the node dies without a word (<see cref="CtdbCluster.Silence"/>), not as a crash (<see cref="CtdbCluster.Kill"/>)</param>
    private static Failover FailoverWhileWriting(CtdbCluster cluster, QemuMachine guest, bool silently = false)
    {
        guest.WaitFor(RootImage.ReadyMarker, LabFixture.BootTimeout);
        guest.Type(Writing.Loop("A"));
        guest.WaitFor("WROTE A-3", TimeSpan.FromMinutes(1));
        int beforeKill = Writing.Count(guest, "A");
        var (serving, survivor, clock, moved) = cluster.FailOver(silently);
        double takeover = moved.TotalSeconds;
        var after = guest.WaitFor($@"WROTE A-{beforeKill + 3}\b|Aborting journal on device loop", TimeSpan.FromMinutes(1));
        bool aborted = after.Value.StartsWith("Aborting", StringComparison.Ordinal);
        Console.WriteLine($"ctdb: node {serving} {(silently ? "silenced" : "killed")}; node {survivor} took the address after {takeover:0.0} s; " +
            (aborted ? "a write of the loop device failed and ext4 aborted its journal" : $"writes went on after {clock.Elapsed.TotalSeconds:0.0} s"));
        // A stall longer than a renewal interval and a second meets a renewal, and the console says it; a failover
        // whose writes went on within that (the dead node was not CTDB's leader, the client reconnected at once) may not.
        double stalled = clock.Elapsed.TotalSeconds;
        var stall = new Regex(@"fencing: the share answered again after a stall of [\d.]+ s");
        while (!aborted && stalled > RenewalInterval.TotalSeconds + 1.5 && !stall.IsMatch(guest.Console))
        {
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(90), $"the writes stalled for {stalled:0.0} s, and the console never said it");
            Thread.Sleep(200);
        }
        Assert.DoesNotContain("fencing: the image's holder record", guest.Console);
        Assert.DoesNotContain("rebooting now, without writing anything more to the image", guest.Console); // what the fence says (Fencing/Fence.cs)
        return new Failover(survivor, beforeKill, aborted);
    }

    /// <summary>
    /// Every block the guest reported: all of them when its writes went on; when its journal aborted,
    /// those reported before the kill, after e2fsck replays the journal as the next boot's mount
    /// would (on a copy). The image itself must be clean but for that replay.
    /// </summary>
    private static void EveryReportedBlock(string imagePath, string directory, Failover failover, int written)
    {
        string checkedImage = imagePath;
        if (failover.JournalAborted)
        {
            checkedImage = imagePath + ".replayed";
            File.Copy(imagePath, checkedImage, overwrite: true);
            Shell.Run("e2fsck", ["-f", "-y", checkedImage], null, allowFailure: true);
        }
        RootImage.Check(checkedImage, "ext4");
        var sizes = Writing.FileSizes(checkedImage, directory);
        for (int i = 1; i <= (failover.JournalAborted ? failover.BeforeKill : written); i++) Assert.Equal(1 << 20, sizes[$"A-{i}"]);
    }

    /// <summary>Exclusivity held through the failover: the lock was taken again on reopen, and the holder record stands.</summary>
    /// <param name="what">"image" or "layer", as the refusal names it</param>
    private void SecondMachineRefused(string initrd, string image, string what, string held, string extra = "")
    {
        using var other = _lab.BootOnNetwork(initrd, CtdbCluster.CommandLine(image, 32, extra), [_lab.Network!.AddNic()]);
        other.WaitFor($@"the {what} //{Regex.Escape(CtdbCluster.PublicAddress)}/boot/{Regex.Escape(held)} is in use by another machine", LabFixture.BootTimeout);
        other.WaitFor("Type r and Enter", TimeSpan.FromSeconds(30));
    }

    /// <summary>Stops the writer, relinquishes, and waits until the surviving node shows nothing of the guest; returns the blocks it reported.</summary>
    private static int HaltAndRelease(CtdbCluster cluster, int survivor, QemuMachine guest, int number)
    {
        guest.Type("kill %1; wait");
        guest.Type($"{RootImage.ControlClient} relinquish --halt");
        int written = Writing.Count(guest, "A");
        guest.WaitFor(@"reboot: System halted", TimeSpan.FromMinutes(2));
        cluster.WaitUntilReleased(survivor, TimeSpan.FromSeconds(30), $"{LabNetwork.Subnet}.{10 + number}");
        guest.Dispose();
        return written;
    }
}
