using SmbRoot.Core.Shutdown;
using Xunit;

namespace SmbRoot.Tests.Shutdown;

public class FinalStageArgumentsTests
{
    [Theory]
    [InlineData("reboot", ShutdownVerb.Reboot)]
    [InlineData("poweroff", ShutdownVerb.PowerOff)]
    [InlineData("halt", ShutdownVerb.Halt)]
    public void The_verb_alone_as_guard_mode_passes_it(string verb, ShutdownVerb expected)
    {
        var arguments = FinalStageArguments.Parse([verb]);
        Assert.Equal(expected, arguments.Verb);
        Assert.Equal(FinalStageArguments.DefaultTimeout, arguments.Timeout);
        Assert.Empty(arguments.Notes);
    }

    [Fact]
    public void Systemds_options_are_accepted_in_both_spellings()
    {
        var arguments = FinalStageArguments.Parse(
            ["poweroff", "--log-level", "info", "--log-target=kmsg", "--log-color", "--log-location", "--log-time", "--timeout=2min", "--exit-code", "3"]);
        Assert.Equal(ShutdownVerb.PowerOff, arguments.Verb);
        Assert.Equal(TimeSpan.FromMinutes(2), arguments.Timeout);
        Assert.Empty(arguments.Notes);
        Assert.Equal(TimeSpan.FromSeconds(30), FinalStageArguments.Parse(["halt", "--timeout", "30s"]).Timeout);
    }

    [Theory]
    [InlineData("--holder-fd=7", 7, false)]
    [InlineData("--holder-fd=x", null, true)]
    [InlineData("--holder-fd=-3", null, true)]
    [InlineData("--holder-fd=1", null, true)]
    [InlineData("--holder-fd", null, true)]
    public void Guard_mode_hands_over_the_holder_records_file_and_a_bad_number_is_only_a_note(string option, int? expected, bool noted)
    {
        var arguments = FinalStageArguments.Parse(["halt", option]);
        Assert.Equal(expected, arguments.HolderFd);
        Assert.Equal(noted, arguments.Notes.Count == 1);
        Assert.Null(FinalStageArguments.Parse(["halt"]).HolderFd);
    }

    [Fact]
    public void Kexec_is_a_verb_and_unknown_options_are_noted()
    {
        var arguments = FinalStageArguments.Parse(["kexec", "--frobnicate"]);
        Assert.Equal(ShutdownVerb.Kexec, arguments.Verb);
        Assert.Contains("--frobnicate", Assert.Single(arguments.Notes));
    }

    [Fact]
    public void The_next_version_is_loaded_only_for_a_kexec()
    {
        Assert.True(FinalStageArguments.Parse(["kexec", FinalStageArguments.LoadNextOption]).LoadNext);
        Assert.False(FinalStageArguments.Parse(["reboot", FinalStageArguments.LoadNextOption]).LoadNext);
        Assert.False(FinalStageArguments.Parse(["kexec"]).LoadNext);
    }

    [Fact]
    public void A_kexec_without_a_loaded_kernel_is_a_reboot_that_says_so()
    {
        Assert.Equal(ShutdownVerb.Kexec, ShutdownVerb.Kexec.Final(kexecLoaded: true, out var none));
        Assert.Null(none);
        Assert.Equal(ShutdownVerb.Reboot, ShutdownVerb.Kexec.Final(kexecLoaded: false, out var note));
        Assert.Contains("/sys/kernel/kexec_loaded is 0", note);
        Assert.Equal(ShutdownVerb.Halt, ShutdownVerb.Halt.Final(kexecLoaded: false, out _));
    }

    [Theory]
    [InlineData("")]
    [InlineData("sleep")]
    [InlineData("--timeout=90s")]
    public void Without_a_verb_first_the_command_line_is_refused(string commandLine)
    {
        Assert.Throws<FormatException>(() => FinalStageArguments.Parse(commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries)));
    }

    [Theory]
    [InlineData("halt --timeout=soon")]
    [InlineData("halt --timeout")]
    [InlineData("halt --timeout=-5s")]
    [InlineData("halt --timeout=90parsecs")]
    public void A_timeout_it_cannot_read_is_a_note_and_the_verb_stays(string commandLine)
    {
        var arguments = FinalStageArguments.Parse(commandLine.Split(' '));
        Assert.Equal(ShutdownVerb.Halt, arguments.Verb);
        Assert.Equal(FinalStageArguments.DefaultTimeout, arguments.Timeout);
        Assert.Contains("is not a time span", Assert.Single(arguments.Notes));
    }

    // systemd-shutdown gets --timeout=<DefaultTimeoutStopSec in us>us (src/core/main.c); 1000 s and
    // infinity (USEC_INFINITY = 2^64-1) once made the final stage skip every release.
    [Theory]
    [InlineData("--timeout=1000000000us", 1000)]
    [InlineData("--timeout=18446744073709551615us", 3600)]
    [InlineData("--timeout=infinity", 3600)]
    [InlineData("--timeout=300000000us", 300)]
    public void Every_timeout_systemd_sends_is_accepted_and_capped(string option, int seconds)
    {
        var arguments = FinalStageArguments.Parse(["halt", option]);
        Assert.Equal(ShutdownVerb.Halt, arguments.Verb);
        Assert.Equal(TimeSpan.FromSeconds(seconds), arguments.Timeout);
        Assert.True(seconds < 3600 ? arguments.Notes.Count == 0 : arguments.Notes.Single().Contains("at most 60 minutes"));
    }

    [Theory]
    [InlineData("90", 90_000)]
    [InlineData("500ms", 500)]
    [InlineData("1h", 3_600_000)]
    [InlineData("2500000us", 2_500)]
    [InlineData("1000000000us", 1_000_000)]
    [InlineData("2min", 120_000)]
    public void Time_spans_in_systemds_units(string text, int milliseconds)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), FinalStageArguments.ParseTimeout(text));
    }
}
