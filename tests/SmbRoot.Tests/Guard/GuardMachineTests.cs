using SmbRoot.Core.Control;
using SmbRoot.Core.Guard;
using SmbRoot.Core.Shutdown;
using Xunit;
using static SmbRoot.Core.Guard.GuardAction;

namespace SmbRoot.Tests.Guard;

public class GuardMachineTests
{
    private const int Init = 142;
    private static readonly TimeSpan T0 = TimeSpan.FromSeconds(100);

    private static GuardMachine Machine(ShutdownVerb halt = ShutdownVerb.PowerOff) => new(Init, halt);

    private static GuardEvent Relinquish(ShutdownVerb verb, int seconds, int uid = 0) =>
        new GuardEvent.Control(new ControlRequest.Relinquish(verb, TimeSpan.FromSeconds(seconds)), uid, 77);

    private static GuardEvent Exit(WaitStatus status) => new GuardEvent.ChildExited(Init, status);

    private static ShutdownVerb? EnteredFinalStage(IReadOnlyList<GuardAction> actions) => actions.OfType<EnterFinalStage>().SingleOrDefault()?.Verb;

    [Fact]
    public void Relinquish_asks_the_init_and_the_verb_asked_for_wins_when_it_exits()
    {
        var machine = Machine();
        var actions = machine.Handle(Relinquish(ShutdownVerb.Halt, 90), T0);
        Assert.Equal(new AskToShutDown(ShutdownVerb.Halt), actions[0]);
        Assert.StartsWith("relinquishing:", actions.OfType<Reply>().Single().Text);
        Assert.Equal(T0 + TimeSpan.FromSeconds(90), machine.NextDeadline);
        // The init powers off its own way: SIGINT from reboot_pid_ns. The request said halt.
        Assert.Equal(ShutdownVerb.Halt, EnteredFinalStage(machine.Handle(Exit(WaitStatus.FromSignal(GuardMachine.SIGINT)), T0 + TimeSpan.FromSeconds(3))));
        Assert.True(machine.Ended);
    }

    /// <summary>relinquish --kexec=next: the init is asked to reboot its own way; the final stage gets the kexec and loads the next version.</summary>
    [Fact]
    public void A_kexec_into_the_next_version_reaches_the_final_stage_whatever_the_init_asked_for()
    {
        var machine = Machine();
        machine.Handle(new GuardEvent.Control(new ControlRequest.Relinquish(ShutdownVerb.Kexec, TimeSpan.FromSeconds(90), LoadNext: true), 0, 77), T0);
        var ending = machine.Handle(Exit(WaitStatus.FromSignal(GuardMachine.SIGHUP)), T0 + TimeSpan.FromSeconds(3)).OfType<EnterFinalStage>().Single();
        Assert.Equal(new EnterFinalStage(ShutdownVerb.Kexec, LoadNext: true), ending);
    }

    [Fact]
    public void Relinquish_after_the_init_exited_is_not_acted_on()
    {
        var machine = Machine();
        Assert.Equal(ShutdownVerb.PowerOff, EnteredFinalStage(machine.Handle(Exit(WaitStatus.FromExit(0)), T0)));
        Assert.Empty(machine.Handle(Relinquish(ShutdownVerb.Reboot, 90), T0));
        Assert.Empty(machine.Handle(new GuardEvent.Tick(), T0 + TimeSpan.FromHours(1)));
    }

    [Fact]
    public void At_the_deadline_TERM_then_KILL_after_the_grace()
    {
        var machine = Machine();
        machine.Handle(Relinquish(ShutdownVerb.PowerOff, 5), T0);
        Assert.Empty(machine.Handle(new GuardEvent.Tick(), T0 + TimeSpan.FromSeconds(4.9)));
        var term = machine.Handle(new GuardEvent.Tick(), T0 + TimeSpan.FromSeconds(5));
        Assert.Contains(new TerminateSystem(), term);
        Assert.Contains("did not finish shutting down within 5s", term.OfType<Say>().Single().Text);
        Assert.Equal(T0 + TimeSpan.FromSeconds(5) + GuardMachine.KillGrace, machine.NextDeadline);
        Assert.Empty(machine.Handle(new GuardEvent.Tick(), T0 + TimeSpan.FromSeconds(14)));
        Assert.Contains(new KillSystem(), machine.Handle(new GuardEvent.Tick(), T0 + TimeSpan.FromSeconds(15)));
        Assert.Equal(TimeSpan.MaxValue, machine.NextDeadline);
        Assert.Equal(ShutdownVerb.PowerOff, EnteredFinalStage(machine.Handle(Exit(WaitStatus.FromSignal(9)), T0 + TimeSpan.FromSeconds(15.1))));
    }

    [Fact]
    public void Ctrl_alt_del_and_power_failure_go_to_the_systems_init_and_TERM_does_not()
    {
        var machine = Machine();
        Assert.Equal([new Forward(GuardMachine.SIGINT)], machine.Handle(new GuardEvent.Signal(GuardMachine.SIGINT), T0));
        Assert.Equal([new Forward(GuardMachine.SIGPWR)], machine.Handle(new GuardEvent.Signal(GuardMachine.SIGPWR), T0));
        var term = machine.Handle(new GuardEvent.Signal(GuardMachine.SIGTERM), T0);
        Assert.DoesNotContain(term, a => a is Forward or EnterFinalStage);
        Assert.Contains("use 'init relinquish'", term.OfType<Say>().Single().Text);
    }

    [Theory]
    [InlineData(GuardMachine.SIGHUP, ShutdownVerb.PowerOff, ShutdownVerb.Reboot, "asked the kernel to restart")]
    [InlineData(GuardMachine.SIGINT, ShutdownVerb.PowerOff, ShutdownVerb.PowerOff, "asked the kernel to halt or power off")]
    [InlineData(GuardMachine.SIGINT, ShutdownVerb.Halt, ShutdownVerb.Halt, "asked the kernel to halt or power off")]
    [InlineData(11, ShutdownVerb.Halt, ShutdownVerb.Halt, "was killed by signal 11")]
    public void Reboot_halt_and_a_crash_of_the_init(int signal, ShutdownVerb configured, ShutdownVerb expected, string said)
    {
        var actions = Machine(configured).Handle(Exit(WaitStatus.FromSignal(signal)), T0);
        Assert.Equal(expected, EnteredFinalStage(actions));
        Assert.Contains(said, actions.OfType<Say>().Single().Text);
    }

    [Fact]
    public void An_init_that_exits_with_a_status_ends_in_the_configured_verb()
    {
        var actions = Machine(ShutdownVerb.Halt).Handle(Exit(WaitStatus.FromExit(1)), T0);
        Assert.Equal(ShutdownVerb.Halt, EnteredFinalStage(actions));
        Assert.Contains("exited with status 1", actions.OfType<Say>().Single().Text);
    }

    [Fact]
    public void Other_children_are_reaped_quietly()
    {
        Assert.Empty(Machine().Handle(new GuardEvent.ChildExited(999, WaitStatus.FromExit(0)), T0));
    }

    [Fact]
    public void A_request_during_the_final_countdown_is_answered_and_changes_nothing()
    {
        var machine = Machine();
        machine.Handle(Relinquish(ShutdownVerb.Halt, 5), T0);
        machine.Handle(new GuardEvent.Tick(), T0 + TimeSpan.FromSeconds(5));
        var again = machine.Handle(Relinquish(ShutdownVerb.Reboot, 90), T0 + TimeSpan.FromSeconds(6));
        Assert.Equal("error: already relinquishing: relinquish (halt): the system was sent SIGTERM; SIGKILL in 9s", Assert.IsType<Reply>(Assert.Single(again)).Text);
        Assert.Equal([new ReplyStatus()], machine.Handle(new GuardEvent.Control(new ControlRequest.Status(), 0, 77), T0 + TimeSpan.FromSeconds(6)));
        Assert.Equal(ShutdownVerb.Halt, EnteredFinalStage(machine.Handle(Exit(WaitStatus.FromSignal(GuardMachine.SIGHUP)), T0 + TimeSpan.FromSeconds(7))));
    }

    [Fact]
    public void Only_root_is_served_and_unknown_requests_get_an_error()
    {
        var machine = Machine();
        Assert.Equal([new Reply("error: only root may control PID 1 (you are uid 1000)")], machine.Handle(Relinquish(ShutdownVerb.Halt, 5, uid: 1000), T0));
        Assert.Equal(TimeSpan.MaxValue, machine.NextDeadline);
        Assert.StartsWith("error: unknown request", Assert.IsType<Reply>(Assert.Single(machine.Handle(new GuardEvent.Control(null, 0, 77), T0))).Text);
    }

    [Fact]
    public void Status_line_says_what_comes_next()
    {
        var machine = Machine();
        Assert.Equal("a halt or power-off inside the system becomes poweroff", machine.Describe(T0));
        machine.Handle(Relinquish(ShutdownVerb.Reboot, 90), T0);
        Assert.Equal("relinquish (reboot) in progress; SIGTERM to what is left in 60s", machine.Describe(T0 + TimeSpan.FromSeconds(30)));
    }
}

public class WaitStatusTests
{
    [Theory]
    [InlineData(0x0100, true, false, 1, 0)]    // exit(1)
    [InlineData(0x0000, true, false, 0, 0)]    // exit(0)
    [InlineData(0x0002, false, true, 0, 2)]    // killed by SIGINT
    [InlineData(0x0089, false, true, 0, 9)]    // killed by SIGKILL, core dump bit set
    [InlineData(0x137F, false, false, 0x13, 0x7F)] // stopped (WIFSTOPPED): neither
    public void Decodes_like_the_W_macros(int raw, bool exited, bool signaled, int code, int signal)
    {
        var status = new WaitStatus(raw);
        Assert.Equal(exited, status.Exited);
        Assert.Equal(signaled, status.Signaled);
        if (exited) Assert.Equal(code, status.ExitCode);
        Assert.Equal(signal, status.TermSignal);
    }
}
