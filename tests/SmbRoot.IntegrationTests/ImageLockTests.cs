using SmbRoot.Lab;
using Xunit;

namespace SmbRoot.IntegrationTests;

/// <summary>Two machines on one network and one image: the server keeps a read-write image to one of them.</summary>
[Collection(NetworkLabCollection.Name)]
public sealed class ImageLockTests(NetworkLabFixture fixture)
{
    private readonly Lab.Lab _lab = fixture.Lab;

    [Fact]
    public void A_second_machine_is_refused_while_the_first_runs_and_boots_once_it_has_relinquished()
    {
        const string image = "shared/root.img";
        _lab.AddImage(image, "ext4");
        string initrd = _lab.InitramfsWithCredentials();
        var network = _lab.Network!;

        using var first = _lab.BootOnNetwork(initrd, _lab.NetworkCommandLine(image, 1), [network.AddNic()]);
        first.WaitFor(RootImage.ReadyMarker, LabFixture.BootTimeout);

        using var second = _lab.BootOnNetwork(initrd, _lab.NetworkCommandLine(image, 2, "rd.retry=600"), [network.AddNic()]);
        second.WaitFor(@"ERROR: image: the image //192\.168\.77\.1/boot/shared/root\.img is in use by another machine", LabFixture.BootTimeout);
        second.WaitFor(@"retrying in \d+s", TimeSpan.FromSeconds(30));
        Assert.DoesNotContain(RootImage.ReadyMarker, second.Console);

        first.Type($"{RootImage.ControlClient} relinquish --halt");
        first.WaitFor(@"reboot: System halted", TimeSpan.FromMinutes(2));

        second.WaitFor(RootImage.ReadyMarker, LabFixture.BootTimeout);
        Assert.Matches(@"LAB: root=/dev/loop\d+ ext4", second.Console);
    }

    [Fact]
    public void Machines_that_boot_an_image_read_only_share_it()
    {
        const string image = "readonly/root.img";
        _lab.AddImage(image, "ext4");
        string initrd = _lab.InitramfsWithCredentials();
        var network = _lab.Network!;

        using var first = _lab.BootOnNetwork(initrd, _lab.NetworkCommandLine(image, 3, "ro"), [network.AddNic()]);
        first.WaitFor(RootImage.ReadyMarker, LabFixture.BootTimeout);
        using var second = _lab.BootOnNetwork(initrd, _lab.NetworkCommandLine(image, 4, "ro"), [network.AddNic()]);
        second.WaitFor(RootImage.ReadyMarker, LabFixture.BootTimeout);
        Assert.Matches(@"image: .*readonly/root\.img .* on /dev/loop\d+, read-only", second.Console);
    }

    /// <summary>
    /// The files a holder holds, changed under it on the server: a deleted holder record is written
    /// again at the next renewal (a booting machine reads it as held, not as "no machine has held
    /// it"), and a read-write image replaced in place fences its holder before a reconnect can make
    /// the client write to the other file.
    /// </summary>
    [Fact]
    public void A_deleted_holder_record_is_written_again_and_a_held_image_replaced_in_place_fences_its_holder()
    {
        const string image = "changed-under/root.img";
        string imagePath = _lab.AddImage(image, "ext4");
        string initrd = _lab.InitramfsWithCredentials();
        var network = _lab.Network!;
        const string Deadline = "rd.fence.deadline=10 rd.fence.margin=5";

        using var holder = _lab.BootOnNetwork(initrd, _lab.NetworkCommandLine(image, 14, Deadline), [network.AddNic()]);
        holder.WaitFor(RootImage.ReadyMarker, LabFixture.BootTimeout);
        File.Delete(imagePath + ".holder");
        holder.WaitFor("fencing: the holder record was deleted on the server; this machine's record is written again", TimeSpan.FromSeconds(20));
        Assert.Contains("state=held", File.ReadAllText(imagePath + ".holder"));

        using var other = _lab.BootOnNetwork(initrd, _lab.NetworkCommandLine(image, 15, $"rd.retry=600 {Deadline}"), [network.AddNic()]);
        other.WaitFor(@"fencing: //192\.168\.77\.1/boot/changed-under/root\.img was held by guest14 ", LabFixture.BootTimeout);

        // Another file renamed over the image's name, as a careless publish would do.
        File.Copy(imagePath, imagePath + ".new");
        File.Move(imagePath + ".new", imagePath, overwrite: true);
        holder.WaitFor(@"fencing: .*root\.img on the server is no longer the file this machine attached", TimeSpan.FromSeconds(20));
        Assert.True(holder.WaitForExit(TimeSpan.FromSeconds(15)), "the holder did not reset");
    }
}
