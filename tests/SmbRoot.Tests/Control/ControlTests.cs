using System.Buffers.Binary;
using SmbRoot.Core.Control;
using SmbRoot.Core.Plan;
using SmbRoot.Core.Shutdown;
using Xunit;

namespace SmbRoot.Tests.Control;

public class ControlTests
{
    [Fact]
    public void Requests_round_trip()
    {
        ControlRequest[] requests =
        [
            new ControlRequest.Status(), new ControlRequest.Relinquish(ShutdownVerb.Halt, TimeSpan.FromSeconds(30)),
            new ControlRequest.Relinquish(ShutdownVerb.Kexec, TimeSpan.FromSeconds(90)), new ControlRequest.Relinquish(ShutdownVerb.Kexec, TimeSpan.FromSeconds(90), LoadNext: true),
        ];
        foreach (var request in requests) Assert.Equal(request, ControlMessages.Decode(ControlMessages.Encode(request)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("status now")]
    [InlineData("relinquish")]
    [InlineData("relinquish explode 10")]
    [InlineData("relinquish halt 0")]
    [InlineData("relinquish halt -5")]
    [InlineData("relinquish halt 99999999999999")]
    [InlineData("relinquish reboot 90 next")]
    public void Anything_else_is_not_a_request(string text) => Assert.Null(ControlMessages.Decode(text));

    [Theory]
    [InlineData("status", "mode:        guard\nroot: x\n", true)]
    [InlineData("status", "error: only root may control PID 1 (you are uid 1000)", true)]
    [InlineData("status", "relinquishing: the system shuts down", false)]
    [InlineData("relinquish", "relinquishing: the system shuts down its own way", true)]
    [InlineData("relinquish", "mode:        guard", false)]
    [InlineData("status", "mode: \u001b]0;owned\u0007 a terminal escape", false)]
    [InlineData("status", "you have been hacked", false)]
    public void The_client_prints_only_the_answer_it_asked_for(string kind, string answer, bool printed)
    {
        ControlRequest request = kind == "status" ? new ControlRequest.Status() : new ControlRequest.Relinquish(ShutdownVerb.Halt, TimeSpan.FromSeconds(5));
        Assert.Equal(printed ? answer : null, ControlMessages.CheckAnswer(request, answer));
    }

    [Fact]
    public void The_initctl_request_is_sysvinits_struct()
    {
        var request = InitctlRequest.ChangeRunlevel('0');
        Assert.Equal(384, request.Length);
        Assert.Equal(0x03091969, BinaryPrimitives.ReadInt32LittleEndian(request));
        Assert.Equal(1, BinaryPrimitives.ReadInt32LittleEndian(request.AsSpan(4)));
        Assert.Equal('0', BinaryPrimitives.ReadInt32LittleEndian(request.AsSpan(8)));
        Assert.Throws<ArgumentOutOfRangeException>(() => InitctlRequest.ChangeRunlevel('9'));
    }

    [Theory]
    [InlineData(BootMode.Auto, "/lib/systemd/systemd", BootMode.Handoff)]
    [InlineData(BootMode.Auto, "/sbin/init", BootMode.Guard)]
    [InlineData(BootMode.Auto, "/bin/busybox", BootMode.Guard)]
    [InlineData(BootMode.Guard, "/lib/systemd/systemd", BootMode.Guard)]
    [InlineData(BootMode.Handoff, "/sbin/init", BootMode.Handoff)]
    public void Auto_mode_hands_off_to_systemd_only(BootMode mode, string initTarget, BootMode expected) =>
        Assert.Equal(expected, BootModes.Resolve(mode, initTarget));
}
