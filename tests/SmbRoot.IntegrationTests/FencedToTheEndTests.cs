using SmbRoot.Lab;
using Xunit;

namespace SmbRoot.IntegrationTests;

/// <summary>
/// The claim is kept to the end of the final stage (issue 22, points 3 and 4): the final stage
/// renews the record and feeds the watchdog only after each renewal, so a shutdown that makes
/// progress is never reset, and one cut off from the server fences by the deadline of the last
/// proof, as the running system would.
/// </summary>
[Collection(LabCollection.Name)]
public sealed class FencedToTheEndTests(LabFixture fixture)
{
    private readonly Lab.Lab _lab = fixture.Lab;

    /// <summary>
    /// Reproduced before the fix: a loop device of the system's own over a file on the root (as snapd
    /// makes one per snap) kept the root's filesystem alive after the old root's unmount, so the
    /// image's loop device stayed busy; the final stage waited its 90 s for it, the watchdog it had
    /// fed once reset the machine at 12 s, and nothing was released.
    /// </summary>
    [Fact]
    public void A_loop_device_of_the_systems_own_on_the_root_neither_holds_up_the_release_nor_lets_the_watchdog_fire()
    {
        const string pathInShare = "snap-loop/root.img";
        string image = _lab.AddImage(pathInShare, "ext4");
        using var guest = _lab.Boot(_lab.InitramfsWithCredentials(), _lab.CommandLine(pathInShare, "smbroot.halt=halt rd.fence.deadline=10"));
        guest.WaitFor(RootImage.ReadyMarker, LabFixture.BootTimeout);
        Assert.Contains("(softdog at 12 s)", guest.Console);
        guest.Type("dd if=/dev/zero of=/root/snap.img bs=1M count=4 2>/dev/null && losetup -f /root/snap.img && echo SNAP-ON-$(losetup -a | grep -c snap.img)");
        guest.WaitFor(@"SNAP-ON-1", TimeSpan.FromSeconds(30));

        guest.Type("halt");
        guest.WaitFor(@"final: old root unmounted", TimeSpan.FromMinutes(1));
        guest.WaitFor(@"final: detached /dev/loop\d+, a loop device of the system's own over a file on the root", TimeSpan.FromSeconds(30));
        guest.WaitFor(@"final: /dev/loop0 detached; the image is closed", TimeSpan.FromSeconds(30));
        guest.WaitFor(@"final: holder record released", TimeSpan.FromSeconds(30));
        Released.WhileHalted(_lab, guest, image, "ext4");
        Assert.DoesNotContain("softdog: Initiating system reboot", guest.Console);
        Assert.DoesNotContain("final: still mounted", guest.Console);
        Assert.Contains("state=released", File.ReadAllText(image + ".holder"));
    }
}

/// <summary>The same on the lab bridge, where the cable can be taken while the final stage runs.</summary>
[Collection(NetworkLabCollection.Name)]
public sealed class FencedToTheEndOnTheNetworkTests(NetworkLabFixture fixture)
{
    private readonly Lab.Lab _lab = fixture.Lab;

    /// <summary>
    /// Reproduced before the fix, with no watchdog: the final stage read the record and unmounted the
    /// old root (which writes the superblock) through the hard mount, waiting for as long as the cable
    /// was out with no fence at all, and would have written to the image when it came back, under
    /// whoever held it by then. The cable goes as systemd's final stage starts (a busybox root plays
    /// systemd-shutdown, as in <see cref="FinalStageTests"/>): the system has nothing left to write.
    /// </summary>
    [Fact]
    public void A_cut_during_the_final_stage_fences_by_the_deadline_of_the_last_proof()
    {
        const string pathInShare = "fence-final/root.img";
        string script = FinalStageTests.SystemdShutdownScript("90000000us", beforeExec: "echo LAB-FINAL-STAGE-NEXT; /oldroot/bin/busybox sleep 3");
        string imagePath = _lab.AddImage(pathInShare, "ext4", extraInittab: "::restart:/sbin/systemd-shutdown-lab\n",
            extraFiles: new Dictionary<string, byte[]> { ["/sbin/systemd-shutdown-lab"] = System.Text.Encoding.UTF8.GetBytes(script) });
        var network = _lab.Network!;
        var nic = network.AddNic();
        int written;
        using (var holder = _lab.BootOnNetwork(_lab.InitramfsWithCredentials(), _lab.NetworkCommandLine(pathInShare, 21, "smbroot.mode=handoff rd.fence.deadline=10 rd.fence.watchdog=none"), [nic]))
        {
            holder.WaitFor(RootImage.ReadyMarker, LabFixture.BootTimeout);
            Assert.Contains("(no watchdog)", holder.Console);
            holder.Type(Writing.Loop("A", 3));
            holder.WaitFor("WROTE A-3", TimeSpan.FromMinutes(1));
            written = Writing.Count(holder, "A");
            holder.Type("kill -QUIT 1");
            holder.WaitFor("LAB-FINAL-STAGE-NEXT", TimeSpan.FromSeconds(30));
            network.Cut(nic);
            var cut = DateTime.Now;
            holder.WaitFor(@"final: the claim's last proof was \d+\.\d s ago; it is renewed until the release, or the machine is fenced \d+ s from now", TimeSpan.FromSeconds(30));
            holder.WaitFor(@"fencing: the image's holder record could not be renewed for 1\d s", TimeSpan.FromSeconds(30));
            Assert.True(holder.WaitForExit(TimeSpan.FromSeconds(15)), "the machine cut off in its final stage did not reset");
            Assert.InRange((holder.ExitedAt!.Value - cut).TotalSeconds, 2, 20);
            Assert.DoesNotContain("final: holder record released", holder.Console);
        }

        // Back on the network, the same machine takes its image again and gives it back cleanly: every fsync'd block is there.
        network.Reconnect(nic);
        using var again = _lab.BootOnNetwork(_lab.InitramfsWithCredentials(), _lab.NetworkCommandLine(pathInShare, 21, "smbroot.mode=guard smbroot.halt=halt rd.fence.deadline=10"), [nic]);
        again.WaitFor(RootImage.ReadyMarker, LabFixture.BootTimeout);
        Assert.Contains("this machine held it before this boot", again.Console);
        again.Type(Writing.Loop("B", 2));
        again.WaitFor("WROTE B-2", TimeSpan.FromMinutes(1));
        Writing.StopAndRelease(_lab, again, imagePath, "B");
        var sizes = Writing.FileSizes(imagePath);
        for (int i = 1; i <= written; i++) Assert.Equal(1 << 20, sizes[$"A-{i}"]);
    }
}
