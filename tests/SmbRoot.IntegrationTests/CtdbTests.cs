using System.Diagnostics;
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

    private CtdbCluster Cluster() =>
        new(_lab.Network!, Path.Combine(_lab.WorkDirectory, "ctdb"), _lab.Samba.SharePath, _lab.Samba.UserPassword);

    private static string CommandLine(string image, int guest, string extra) =>
        $"console=ttyS0 panic=-1 root=cifs://{SambaServer.User}@{CtdbCluster.PublicAddress}/{SambaServer.ShareName}/{image} " +
        $"ip={LabNetwork.Subnet}.{10 + guest}::{LabNetwork.ServerAddress}:255.255.255.0:guest{guest}:eth0:off rd.retry=0 {extra}".TrimEnd();

    [Fact]
    public void A_read_write_root_rides_out_the_death_of_its_node_with_every_fsynced_block_and_its_claim()
    {
        const string image = "ctdb-rw/root.img";
        string imagePath = _lab.AddImage(image, "ext4");
        string initrd = _lab.InitramfsWithCredentials();
        using var cluster = Cluster();
        // A deadline of 10 s renews every 2 s, so the stall meets a renewal and the console says it.
        using var guest = _lab.BootOnNetwork(initrd, CommandLine(image, 31, "rd.fence.deadline=10 smbroot.halt=halt"), [_lab.Network!.AddNic()]);
        guest.WaitFor(RootImage.ReadyMarker, LabFixture.BootTimeout);
        guest.Type(Writing.Loop("A"));
        guest.WaitFor("WROTE A-3", TimeSpan.FromMinutes(1));

        int serving = cluster.ServingNode() ?? throw new InvalidOperationException("no node serves the public address");
        int survivor = 1 - serving;
        int beforeKill = Writing.Count(guest, "A");
        var clock = Stopwatch.StartNew();
        cluster.Kill(serving);
        while (cluster.ServingNode(survivor) != survivor)
        {
            Assert.True(clock.Elapsed < TimeSpan.FromMinutes(1), "the surviving node did not take the public address within a minute");
            Thread.Sleep(200);
        }
        double takeover = clock.Elapsed.TotalSeconds;
        guest.WaitFor($"WROTE A-{beforeKill + 3}", TimeSpan.FromMinutes(1));
        double writing = clock.Elapsed.TotalSeconds;
        Console.WriteLine($"ctdb: node {serving} killed; node {survivor} took the address after {takeover:0.0} s; writes went on after {writing:0.0} s");

        Assert.Contains(image, cluster.Status(survivor, "-L"));
        Assert.DoesNotContain("fencing: the image's holder record", guest.Console);
        Assert.DoesNotContain("fencing: rebooting", guest.Console);
        // Exclusivity held through the failover: the lock is taken again on reopen, and the holder record stands.
        using (var other = _lab.BootOnNetwork(initrd, CommandLine(image, 32, ""), [_lab.Network.AddNic()]))
        {
            other.WaitFor($@"ERROR: image: the image //{Regex.Escape(CtdbCluster.PublicAddress)}/boot/{Regex.Escape(image)} is in use", LabFixture.BootTimeout);
            other.WaitFor("Type r and Enter", TimeSpan.FromSeconds(30));
        }

        guest.Type("kill %1; wait");
        guest.Type($"{RootImage.ControlClient} relinquish --halt");
        int written = Writing.Count(guest, "A");
        guest.WaitFor(@"reboot: System halted", TimeSpan.FromMinutes(2));
        cluster.WaitUntilReleased(survivor, TimeSpan.FromSeconds(30), $"{LabNetwork.Subnet}.41");
        guest.Dispose();
        RootImage.Check(imagePath, "ext4");
        var sizes = Writing.FileSizes(imagePath);
        for (int i = 1; i <= written; i++) Assert.Equal(1 << 20, sizes[$"A-{i}"]);
    }
}
