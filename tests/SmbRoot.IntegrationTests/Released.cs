using SmbRoot.Lab;
using Xunit;

namespace SmbRoot.IntegrationTests;

/// <summary>The one check of a clean way out, shared by every test that ends a guest.</summary>
internal static class Released
{
    /// <summary>
    /// The guest halts and keeps running: the server must show nothing of it while it does (a
    /// powered-off guest would drop its TCP connection and prove nothing), and then the image
    /// must pass its filesystem's check with nothing to replay.
    /// </summary>
    public static void WhileHalted(Lab.Lab lab, QemuMachine guest, string image, string fileSystem)
    {
        guest.WaitFor(@"reboot: System halted", TimeSpan.FromMinutes(2));
        Assert.False(guest.HasExited, "a halted guest keeps running; the check below must see the server while it does");
        // On the lab bridge other guests may still be connected: only this guest's sessions must be gone.
        string? address = lab.Network is null ? null : guest.Seen(@"network: \S+ is ([\d.]+|[0-9a-f:]+)/").Groups[1].Value;
        lab.Samba.WaitUntilReleased(TimeSpan.FromSeconds(30), address);
        Assert.False(guest.HasExited);
        guest.Dispose();
        RootImage.Check(image, fileSystem);
    }
}
