using System.Security.Cryptography;
using SmbRoot.Lab;
using Xunit;

namespace SmbRoot.IntegrationTests;

/// <summary>
/// One golden image for a fleet (rd.overlay=tmpfs): four machines on the lab bridge boot the same
/// image at once, each with a writable layer of its own. The server shows four read-only opens;
/// nothing one machine writes is seen by another, and the golden image is not changed by a byte.
/// </summary>
[Collection(NetworkLabCollection.Name)]
public sealed class OverlayTests(NetworkLabFixture fixture)
{
    private readonly Lab.Lab _lab = fixture.Lab;

    [Fact]
    public void Four_machines_boot_one_golden_image_each_with_its_own_tmpfs_layer()
    {
        const string golden = "golden/debian.img";
        string imagePath = _lab.AddImage(golden, "ext4");
        string before = Hash(imagePath);
        string initrd = _lab.InitramfsWithCredentials();
        var machines = Enumerable.Range(21, 4)
            .Select(n => _lab.BootOnNetwork(initrd, _lab.NetworkCommandLine(golden, n, "rd.overlay=tmpfs:size=24M rd.retry=120"), [_lab.Network!.AddNic()]))
            .ToList();
        try
        {
            foreach (var machine in machines) machine.WaitFor(RootImage.ReadyMarker, LabFixture.BootTimeout * 2);
            for (int i = 0; i < machines.Count; i++)
            {
                Assert.Contains($"smbroot: overlay: a new /etc/machine-id and /etc/hostname (guest{21 + i}) in this machine's layer", machines[i].Console);
                Assert.Matches(@"LAB: root=overlay overlay", machines[i].Console);
            }

            // The server: four read-only opens of the golden image, no holder record (nobody owns it).
            string opens = _lab.Samba.OpenFiles();
            Assert.Equal(4, opens.Split('\n').Count(line => line.Contains(golden) && line.Contains("RDONLY")));
            Assert.DoesNotContain(golden, opens.Split('\n').Where(line => line.Contains("RDWR")));
            Assert.False(File.Exists(imagePath + ".holder"));

            // What one machine writes, only it sees; each has its own identity.
            machines[0].Type("echo mine > /etc/only-on-the-first; sync");
            var ids = new HashSet<string>();
            foreach (var machine in machines)
            {
                machine.Type("test -e /etc/only-on-the-first && echo SEEN-BY-$(hostname) || echo UNSEEN-BY-$(hostname); echo ID-$(cat /etc/machine-id) NAME-$(cat /etc/hostname)");
                ids.Add(machine.WaitFor(@"ID-([0-9a-f]{32}) NAME-guest\d+", TimeSpan.FromMinutes(1)).Groups[1].Value);
            }
            Assert.Matches(@"(?<!UN)SEEN-BY-guest21", machines[0].Console);
            for (int i = 1; i < machines.Count; i++)
            {
                Assert.Contains($"UNSEEN-BY-guest{21 + i}", machines[i].Console);
                Assert.DoesNotMatch(@"(?<!UN)SEEN-BY-guest", machines[i].Console);
            }
            Assert.Equal(4, ids.Count);

            // The layer's usage in status, and the console when it fills.
            var first = machines[0];
            first.Type($"{RootImage.ControlClient} status");
            first.WaitFor(@"root:\s+//192\.168\.77\.1/boot/golden/debian\.img \(ext4, read-only golden image; the root is an overlay, rw\)", TimeSpan.FromMinutes(1));
            first.WaitFor(@"overlay:\s+tmpfs on /run/overlayfs \(\d+\.\d of 24\.0 MiB used \(\d+%\), at most 24m\)", TimeSpan.FromSeconds(10));
            first.WaitFor(@"ownership:\s+shared read-only", TimeSpan.FromSeconds(10));
            first.Type("dd if=/dev/zero of=/filler bs=1M count=32; echo DD-DONE");
            first.WaitFor(@"overlay: the writable layer is full \(24\.0 of 24\.0 MiB used \(100%\)\): writes to the root fail", TimeSpan.FromMinutes(1));
            first.WaitFor(@"No space left on device", TimeSpan.FromSeconds(30));
            first.Type("rm /filler");
            first.WaitFor(@"overlay: the writable layer has room again", TimeSpan.FromMinutes(1));

            foreach (var machine in machines) machine.Type($"{RootImage.ControlClient} relinquish --halt");
            foreach (var machine in machines) machine.WaitFor(@"final: the root is released", TimeSpan.FromMinutes(3));
            foreach (var machine in machines) machine.WaitFor(@"reboot: System halted", TimeSpan.FromMinutes(1));
            _lab.Samba.WaitUntilReleased(TimeSpan.FromSeconds(30));
        }
        finally
        {
            foreach (var machine in machines) machine.Dispose();
        }
        RootImage.Check(imagePath, "ext4");
        Assert.Equal(before, Hash(imagePath));
    }

    [Fact]
    public void A_new_version_is_published_through_the_pointer_and_an_image_replaced_in_place_is_never_read()
    {
        string v1 = _lab.AddImage("versions/v1.img", "ext4", extraFiles: Version("1"));
        string v2 = _lab.AddImage("versions/v2.img", "ext4", extraFiles: Version("2"));
        string pointer = Path.Combine(Path.GetDirectoryName(v1)!, "current");
        Publish(pointer, "v1.img");
        string initrd = _lab.InitramfsWithCredentials();
        string commandLine(int guest) => _lab.NetworkCommandLine("versions/current", guest, "rd.overlay=tmpfs:size=16M");

        using var early = _lab.BootOnNetwork(initrd, commandLine(31), [_lab.Network!.AddNic()]);
        early.WaitFor(RootImage.ReadyMarker, LabFixture.BootTimeout);
        Assert.Contains("smbroot: image: versions/current points to v1.img", early.Console);

        // Publishing: the new image is there already; a new pointer is renamed over the old one.
        Publish(pointer, "v2.img");
        using var late = _lab.BootOnNetwork(initrd, commandLine(32), [_lab.Network!.AddNic()]);
        late.WaitFor(RootImage.ReadyMarker, LabFixture.BootTimeout);
        Assert.Contains("smbroot: image: versions/current points to v2.img", late.Console);
        foreach (var (machine, version) in new[] { (early, "1"), (late, "2") })
        {
            machine.Type("echo VERSION-$(cat /etc/lab-version)");
            machine.WaitFor($"VERSION-{version}", TimeSpan.FromMinutes(1));
            machine.Type($"{RootImage.ControlClient} status");
            machine.WaitFor($@"version:\s+v{version}\.img \(named by versions/current at boot\)", TimeSpan.FromMinutes(1));
        }
        string opens = _lab.Samba.OpenFiles();
        Assert.Contains("versions/v1.img", opens);
        Assert.Contains("versions/v2.img", opens);

        // v2 replaced in place (another file renamed over its name): the machine running it stops
        // before it can read the other filesystem; the one running v1 goes on.
        string replacement = v2 + ".new";
        File.Copy(v1, replacement);
        File.Move(replacement, v2, overwrite: true);
        late.WaitFor(@"fencing: the image //192\.168\.77\.1/boot/versions/v2\.img on the server is not the file this machine booted", TimeSpan.FromSeconds(30));
        late.WaitFor("rebooting now, before this machine reads a different filesystem", TimeSpan.FromSeconds(5));
        Assert.True(late.WaitForExit(TimeSpan.FromSeconds(15)), "the machine whose image was replaced did not reset");
        Assert.DoesNotContain("VERSION-1", late.Console);

        early.Type("echo STILL-$(cat /etc/lab-version)");
        early.WaitFor("STILL-1", TimeSpan.FromMinutes(1));
        early.Type($"{RootImage.ControlClient} relinquish --halt");
        Released.WhileHalted(_lab, early, v1, "ext4");
    }

    private static Dictionary<string, byte[]> Version(string version) => new() { ["etc/lab-version"] = System.Text.Encoding.ASCII.GetBytes(version + "\n") };

    /// <summary>What an administrator does: write the new pointer beside the old one, then rename it over (rename(2) is atomic).</summary>
    private static void Publish(string pointer, string image)
    {
        File.WriteAllText(pointer + ".new", image + "\n");
        File.Move(pointer + ".new", pointer, overwrite: true);
    }

    private static string Hash(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(stream));
    }
}
