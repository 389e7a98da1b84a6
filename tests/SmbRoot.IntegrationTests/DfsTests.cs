using System.Text.RegularExpressions;
using SmbRoot.Lab;
using Xunit;

namespace SmbRoot.IntegrationTests;

[Collection(NetworkLabCollection.Name)]
public sealed class DfsTests(NetworkLabFixture fixture)
{
    private readonly Lab.Lab _lab = fixture.Lab;

    [Fact]
    public void Scratch()
    {
        string source = _lab.AddImage("dfs-source/v1.img", "ext4");
        using var targets = new DfsTargets(_lab.Network!, Path.Combine(_lab.WorkDirectory, "dfs"), _lab.Samba.UserPassword);
        targets.Replicate(source, "v1.img");
        foreach (var i in Enumerable.Range(0, 2)) File.WriteAllText(targets.ImagePath(i, "current"), "v1.img\n");
        foreach (var i in Enumerable.Range(0, 2)) Console.WriteLine($"mtime {i}: {File.GetLastWriteTimeUtc(targets.ImagePath(i, "v1.img")):O}");
        File.SetLastWriteTimeUtc(targets.ImagePath(1, "v1.img"), DateTime.UtcNow.AddHours(1));
        string initrd = _lab.InitramfsWithCredentials();
        using var guest = _lab.BootOnNetwork(initrd, DfsTargets.CommandLine(0, "current", 40, "rd.overlay=tmpfs smbroot.halt=halt smbroot.debug"), [_lab.Network!.AddNic()]);
        guest.WaitFor(RootImage.ReadyMarker, LabFixture.BootTimeout);
        guest.Type("cat /proc/mounts; cat /proc/fs/cifs/DebugData");
        Thread.Sleep(3000);
        int serving = targets.Serving("v1.img") ?? -1;
        Console.WriteLine($"serving: {serving}");
        for (int i = 0; i < 2; i++) Console.WriteLine($"server {i}:\n{targets.Status(i)}");
        guest.Type("while true; do echo 3 > /proc/sys/vm/drop_caches; echo READ $(md5sum /bin/busybox); sleep 1; done &");
        guest.WaitFor("(?s)READ .*READ .*READ", TimeSpan.FromSeconds(30));
        targets.Kill(serving);
        Thread.Sleep(30000);
        guest.Type("/run/initramfs/init status");
        guest.Type("cat /proc/fs/cifs/DebugData; cat /proc/mounts");
        Thread.Sleep(3000);
        for (int i = 0; i < 2; i++) Console.WriteLine($"server {i}:\n{(i == serving ? "dead" : targets.Status(i))}");
        Console.WriteLine(guest.Console);
    }
}
