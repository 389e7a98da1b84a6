using System.Diagnostics;
using System.Text.RegularExpressions;
using SmbRoot.Lab;
using Xunit;

namespace SmbRoot.IntegrationTests;

/// <summary>
/// "One machine per image" when the network breaks: a holder cut off from the server stops itself
/// before another machine may take the image, and a short cut changes nothing. Two guests on the
/// lab bridge; the cable is the holder's tap taken off the bridge.
/// </summary>
[Collection(NetworkLabCollection.Name)]
public sealed class FencingTests(NetworkLabFixture fixture)
{
    private readonly Lab.Lab _lab = fixture.Lab;

    /// <summary>A short deadline for every machine here (the default of 60 s would only make the tests longer).</summary>
    private const string Deadline = "rd.fence.deadline=20";

    [Fact]
    public void A_holder_cut_off_for_longer_than_its_deadline_fences_itself_before_another_machine_takes_the_image()
    {
        const string image = "fence-long/root.img";
        string imagePath = _lab.AddImage(image, "ext4");
        string initrd = _lab.InitramfsWithCredentials();
        var network = _lab.Network!;
        var holderNic = network.AddNic();

        using var holder = _lab.BootOnNetwork(initrd, _lab.NetworkCommandLine(image, 5, Deadline), [holderNic]);
        holder.WaitFor(RootImage.ReadyMarker, LabFixture.BootTimeout);
        Assert.Contains("fencing: //192.168.77.1/boot/fence-long/root.img is this machine's", holder.Console);
        holder.Type(Writing.Loop("A"));
        holder.WaitFor("WROTE A-8", TimeSpan.FromMinutes(2));
        network.Cut(holderNic);
        var cut = DateTime.Now;

        using var taker = _lab.BootOnNetwork(initrd, _lab.NetworkCommandLine(image, 6, $"rd.retry=600 smbroot.halt=halt {Deadline}"), [network.AddNic()]);
        // The holder's own fence: a message, then a reset (QEMU runs with -no-reboot, so it exits).
        holder.WaitFor(@"fencing: the image's holder record could not be renewed for 2\d s", TimeSpan.FromSeconds(60));
        holder.WaitFor("rebooting now, without writing anything more to the image", TimeSpan.FromSeconds(5));
        Assert.True(holder.WaitForExit(TimeSpan.FromSeconds(15)), "the fenced holder did not reset");
        var fenced = holder.ExitedAt!.Value;
        Assert.InRange((fenced - cut).TotalSeconds, 15, 30);

        var mounted = WaitAndTime(taker, @"image: //192\.168\.77\.1/boot/fence-long/root\.img .* on /dev/loop\d+", TimeSpan.FromMinutes(3));
        Assert.True(fenced < mounted, $"the holder was reset at {fenced:HH:mm:ss.f}, after the other machine attached the image at {mounted:HH:mm:ss.f}");
        taker.WaitFor(RootImage.ReadyMarker, LabFixture.BootTimeout);
        Assert.Matches(@"fencing: taking //192\.168\.77\.1/boot/fence-long/root\.img: guest5 has not renewed for \d+ s", taker.Console);
        int writtenByHolder = Writing.Count(holder, "A");

        // The holder's machine comes back on the network and boots again: the image is the other machine's now.
        network.Reconnect(holderNic);
        using var again = _lab.BootOnNetwork(initrd, _lab.NetworkCommandLine(image, 5, $"rd.retry=0 {Deadline}"), [holderNic]);
        again.WaitFor(@"the image //192\.168\.77\.1/boot/fence-long/root\.img is in use by another machine, guest6 \(MAC 52:54:00:77:00:[0-9a-f]{2}, 192\.168\.77\.16", LabFixture.BootTimeout);
        Assert.DoesNotContain(RootImage.ReadyMarker, again.Console);

        taker.Type(Writing.Loop("B", 5));
        taker.WaitFor("WROTE B-5", TimeSpan.FromMinutes(1));
        taker.Type($"{RootImage.ControlClient} relinquish --halt");
        Released.WhileHalted(_lab, taker, imagePath, "ext4");
        var sizes = Writing.FileSizes(imagePath);
        for (int i = 1; i <= 5; i++) Assert.Equal(1 << 20, sizes[$"B-{i}"]);
        // Every block the holder reported as fsync'd before the cut is in the image, whole.
        for (int i = 1; i <= writtenByHolder; i++) Assert.Equal(1 << 20, sizes[$"A-{i}"]);
    }

    [Fact]
    public void A_cut_shorter_than_the_deadline_leaves_the_holder_writing_and_the_other_machine_waiting()
    {
        const string image = "fence-short/root.img";
        string imagePath = _lab.AddImage(image, "ext4");
        string initrd = _lab.InitramfsWithCredentials();
        var network = _lab.Network!;
        var holderNic = network.AddNic();

        using var holder = _lab.BootOnNetwork(initrd, _lab.NetworkCommandLine(image, 7, $"smbroot.halt=halt {Deadline}"), [holderNic]);
        holder.WaitFor(RootImage.ReadyMarker, LabFixture.BootTimeout);
        // The other machine comes long after the claim: the record's write time on the server may
        // then say D + margin (30 s) old although it is renewed every 4 s (Samba holds the write time
        // of an open file still), and only this machine's own watching may count.
        Thread.Sleep(TimeSpan.FromSeconds(32));
        holder.Type(Writing.Loop("A"));
        holder.WaitFor("WROTE A-3", TimeSpan.FromMinutes(1));
        // The cable goes as the other machine's init starts, a second or two before it reads the holder
        // record, so it finds a holder that cannot answer. It must not break a lease the holder holds:
        // Samba would disconnect the cut-off holder, and its writes in flight would fail (EIO, ext4
        // read-only; one run in four before the records had a mount without leases). So it does not
        // open the image while it waits, and neither machine holds a lease on the record.
        using var other = _lab.BootOnNetwork(initrd, _lab.NetworkCommandLine(image, 8, $"rd.retry=600 {Deadline}"), [network.AddNic()]);
        other.WaitFor(@"smbroot: SmbRoot \S+ starting", LabFixture.BootTimeout);
        network.Cut(holderNic);
        var cut = Stopwatch.StartNew();
        other.WaitFor(@"fencing: //192\.168\.77\.1/boot/fence-short/root\.img was held by guest7", TimeSpan.FromSeconds(30));
        var waiting = _lab.Samba.OpenedBy($"{LabNetwork.Subnet}.18");
        var holding = _lab.Samba.OpenedBy($"{LabNetwork.Subnet}.17"); // the server keeps the cut-off holder's session
        Assert.Contains(("fence-short/root.img.holder", "NONE"), waiting);
        Assert.DoesNotContain(waiting, open => open.Name == "fence-short/root.img");
        Assert.Contains(("fence-short/root.img.holder", "NONE"), holding);
        Assert.Contains(holding, open => open.Name == "fence-short/root.img" && open.Lease.StartsWith("LEASE("));
        if (TimeSpan.FromSeconds(10) - cut.Elapsed is { Ticks: > 0 } left) Thread.Sleep(left);
        network.Reconnect(holderNic);

        other.WaitFor(@"is in use by another machine, guest7 \(MAC .*\): it renewed its holder record while this machine waited", TimeSpan.FromMinutes(2));
        other.WaitFor(@"retrying in \d+s", TimeSpan.FromSeconds(30));
        Assert.DoesNotContain(RootImage.ReadyMarker, other.Console);
        File.WriteAllText("/tmp/other.txt", other.Console);
        other.Dispose(); // between two attempts: it holds no session on the server

        int before = Writing.Count(holder, "A");
        holder.WaitFor($"WROTE A-{before + 3}", TimeSpan.FromMinutes(1));
        Assert.DoesNotContain("fencing: the image's holder record", holder.Console);
        Assert.DoesNotContain("I/O error, dev loop0", holder.Console);
        Writing.StopAndRelease(_lab, holder, imagePath, "A");
    }

    [Fact]
    public void In_handoff_mode_the_holder_helper_fences_a_machine_cut_off_for_longer_than_its_deadline()
    {
        const string image = "fence-handoff/root.img";
        string imagePath = _lab.AddImage(image, "ext4");
        var nic = _lab.Network!.AddNic();
        using var holder = _lab.BootOnNetwork(_lab.InitramfsWithCredentials(), _lab.NetworkCommandLine(image, 13, "smbroot.mode=handoff rd.fence.deadline=10"), [nic]);
        holder.WaitFor(RootImage.ReadyMarker, LabFixture.BootTimeout);
        Assert.Matches(@"handoff: @smbroot-holder \(pid \d+\) keeps the claim on the image", holder.Console);
        CableCut.WhileWriting(_lab, holder, nic);

        // The same machine, back on the network, takes its image again at once (and its new
        // connection makes the server drop the old one), then gives it back cleanly.
        _lab.Network.Reconnect(nic);
        using var again = _lab.BootOnNetwork(_lab.InitramfsWithCredentials(), _lab.NetworkCommandLine(image, 13, "smbroot.mode=guard smbroot.halt=halt"), [nic]);
        again.WaitFor(RootImage.ReadyMarker, LabFixture.BootTimeout);
        Assert.Contains("this machine held it before this boot", again.Console);
        Writing.StopAndRelease(_lab, again, imagePath, "B");
        var sizes = Writing.FileSizes(imagePath);
        for (int i = 1; i <= Writing.Count(holder, "A"); i++) Assert.Equal(1 << 20, sizes[$"A-{i}"]);
    }

    /// <summary>Polls the console and returns when the pattern was first seen (within 100 ms of its arrival).</summary>
    private static DateTime WaitAndTime(QemuMachine guest, string pattern, TimeSpan timeout)
    {
        var regex = new Regex(pattern);
        var end = DateTime.Now + timeout;
        while (DateTime.Now < end)
        {
            if (regex.IsMatch(guest.Console)) return DateTime.Now;
            Thread.Sleep(100);
        }
        throw new TimeoutException($"no console line matching /{pattern}/. Console:\n{guest.Console}");
    }
}

/// <summary>The cut both fencing tests with <c>rd.fence.deadline=10</c> make: while the guest writes.</summary>
internal static class CableCut
{
    /// <summary>
    /// Starts writer "A", takes the guest's cable after its second block, and checks the fence: the
    /// message, then a reset 5–25 s after the cut. Returns how many blocks the guest reported written.
    /// </summary>
    public static int WhileWriting(Lab.Lab lab, QemuMachine guest, GuestNic nic)
    {
        guest.Type(Writing.Loop("A"));
        guest.WaitFor("WROTE A-2", TimeSpan.FromMinutes(1));
        lab.Network!.Cut(nic);
        var cut = DateTime.Now;
        guest.WaitFor(@"fencing: the image's holder record could not be renewed for 1\d s", TimeSpan.FromSeconds(40));
        Assert.True(guest.WaitForExit(TimeSpan.FromSeconds(15)), "the fenced machine did not reset");
        Assert.InRange((guest.ExitedAt!.Value - cut).TotalSeconds, 5, 25);
        return Writing.Count(guest, "A");
    }
}
