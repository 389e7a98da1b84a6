using SmbRoot.Lab;
using Xunit;

namespace SmbRoot.IntegrationTests;

/// <summary>The control socket under attack from the system's own users: PID 1 cannot be stalled, and the client cannot be lied to.</summary>
[Collection(LabCollection.Name)]
public sealed class ControlSocketTests(LabFixture fixture)
{
    private readonly Lab.Lab _lab = fixture.Lab;

    private Dictionary<string, byte[]> Tool() =>
        new() { [ControlSocketTool.GuestPath] = File.ReadAllBytes(ControlSocketTool.Build(_lab.WorkDirectory)) };

    /// <summary>Boots a root with the tool in it and an ordinary user, bob, at the console.</summary>
    private QemuMachine BootWithAnOrdinaryUser(string pathInShare, string extraCommandLine)
    {
        var guest = _lab.Boot(_lab.InitramfsWithCredentials(), _lab.CommandLine(pathInShare, extraCommandLine));
        guest.WaitFor(RootImage.ReadyMarker, LabFixture.BootTimeout);
        Thread.Sleep(1000); // the console shell's prompt has no newline, so there is no line to wait for
        guest.Type("echo 'bob:x:1000:1000::/:/bin/sh' >> /etc/passwd");
        return guest;
    }

    [Fact]
    public void A_flood_from_an_ordinary_user_does_not_stop_PID_1_from_keeping_its_deadlines()
    {
        // The system ignores the relinquish (its shutdown never ends), and four flooders that ignore
        // SIGTERM keep the listener busy: the deadline's SIGTERM, the SIGKILL and the release must still come on time.
        string image = _lab.AddImage("flood/root.img", "ext4", extraInittab: "::shutdown:/bin/sh -c 'trap \"\" TERM; sleep 100000'\n", extraFiles: Tool());
        using var guest = BootWithAnOrdinaryUser("flood/root.img", "smbroot.halt=halt");
        guest.Type($"for i in 1 2 3 4; do su bob -c '{ControlSocketTool.GuestPath} flood' & done; sleep 3; echo FLOODING");
        guest.WaitFor("FLOODING", TimeSpan.FromMinutes(1));

        guest.Type($"{RootImage.ControlClient} relinquish --halt --timeout 5");
        guest.WaitFor(@"relinquishing: the system shuts down its own way", TimeSpan.FromSeconds(30));
        guest.WaitFor(@"did not finish shutting down within 5s", TimeSpan.FromSeconds(30));
        guest.WaitFor(@"stopping what is left of the system with SIGKILL", TimeSpan.FromSeconds(30));
        guest.WaitFor(@"final: the root is released", TimeSpan.FromSeconds(30));
        Released.WhileHalted(_lab, guest, image, "ext4");
    }

    [Fact]
    public void In_handoff_mode_the_client_does_not_believe_a_socket_an_ordinary_user_holds()
    {
        _lab.AddImage("impostor/root.img", "ext4", extraFiles: Tool());
        using var guest = BootWithAnOrdinaryUser("impostor/root.img", "smbroot.mode=handoff");
        guest.Type($"su bob -c '{ControlSocketTool.GuestPath} impostor' &");
        guest.WaitFor("LAB: impostor listening", TimeSpan.FromMinutes(1));

        guest.Type($"{RootImage.ControlClient} status; echo \"CLIENT-EXIT=$?\"");
        guest.WaitFor(@"is held by uid 1000, not by SmbRoot's PID 1; not talking to it", TimeSpan.FromMinutes(1));
        guest.WaitFor("CLIENT-EXIT=1", TimeSpan.FromSeconds(30));
        Assert.DoesNotContain("says the impostor", guest.Console);
    }
}
