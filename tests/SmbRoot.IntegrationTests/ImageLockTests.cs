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
}
