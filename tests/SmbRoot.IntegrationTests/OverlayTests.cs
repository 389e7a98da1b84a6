using System.Security.Cryptography;
using System.Text.RegularExpressions;
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

    private static string Hash(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexString(SHA256.HashData(stream));
    }
}
