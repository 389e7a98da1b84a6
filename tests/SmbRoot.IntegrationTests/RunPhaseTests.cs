using System.Text.RegularExpressions;
using SmbRoot.Lab;
using Xunit;

namespace SmbRoot.IntegrationTests;

/// <summary>
/// What the system SmbRoot starts inherits, and what happens after the point of no return: the
/// system must look as if a plain switch_root had started it, and a failure past the switch must
/// end in the final stage, never in the boot's undo.
/// </summary>
[Collection(LabCollection.Name)]
public sealed class RunPhaseTests(LabFixture fixture)
{
    private readonly Lab.Lab _lab = fixture.Lab;

    /// <summary>yes(1) ends only when SIGPIPE kills it: with SIGPIPE ignored it spins at 100% CPU forever.</summary>
    private const string PipelineCheck = """
        echo "LAB: child-signals $(grep -E '^(Sig(Blk|Ign|Cgt)|THP_enabled)' /proc/self/status | tr -d '\t' | tr ':\n' '= ')"
        echo "LAB: pipeline=$(yes 'block' | head -c 1048576 | wc -c)"
        """;

    [Theory]
    [InlineData("guard")]
    [InlineData("handoff")]
    public void The_systems_init_and_its_children_start_with_clean_signals_and_huge_pages_allowed(string mode)
    {
        var probe = new Dictionary<string, byte[]> { [SignalProbe.GuestPath] = File.ReadAllBytes(SignalProbe.Build(_lab.WorkDirectory)) };
        _lab.AddImage($"signals-{mode}/root.img", "ext4", extraRcS: PipelineCheck, extraFiles: probe);
        using var guest = _lab.Boot(_lab.InitramfsWithCredentials(),
            _lab.CommandLine($"signals-{mode}/root.img", $"smbroot.mode={mode} init={SignalProbe.GuestPath}"));
        guest.WaitFor(RootImage.ReadyMarker, LabFixture.BootTimeout);
        Assert.Contains(SignalProbe.CleanStart, guest.Console);
        Assert.Matches("LAB: child-signals THP_enabled=1 SigBlk=0000000000000000 SigIgn=0000000000000000 SigCgt=0000000000000000", guest.Console);
        Assert.Contains("LAB: pipeline=1048576", guest.Console);
        Assert.Contains(mode == "guard" ? "guard: the system's init" : "handoff: exec", guest.Console);
    }

    [Fact]
    public void An_init_that_cannot_be_executed_releases_the_root_and_ends_the_machine()
    {
        // Executable by its mode, so the boot's check passes; execve(2) says ENOEXEC only after the switch.
        var notAProgram = new Dictionary<string, byte[]> { ["/sbin/not-a-program"] = "this is not a program\n"u8.ToArray() };
        string image = _lab.AddImage("no-return/root.img", "ext4", extraFiles: notAProgram);
        using var guest = _lab.Boot(_lab.InitramfsWithCredentials(),
            _lab.CommandLine("no-return/root.img", "smbroot.mode=handoff init=/sbin/not-a-program smbroot.halt=halt"));
        guest.WaitFor(@"run: starting the system failed: execve\(/sbin/not-a-program\): exec format error \(ENOEXEC\)", LabFixture.BootTimeout);
        guest.WaitFor(@"past the point of no return: releasing the root, then halt", TimeSpan.FromSeconds(10));
        guest.WaitFor(@"final: the root is released", TimeSpan.FromMinutes(1));
        Assert.DoesNotMatch(new Regex("undoing|retrying in|Type r and Enter"), guest.Console);
        Released.WhileHalted(_lab, guest, image, "ext4");
    }
}
