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

    [Fact]
    public void Kexec_becomes_a_reboot_with_a_note_and_unknown_options_are_noted()
    {
        var arguments = FinalStageArguments.Parse(["kexec", "--frobnicate"]);
        Assert.Equal(ShutdownVerb.Reboot, arguments.Verb);
        Assert.True(arguments.KexecRequested);
        Assert.Equal(2, arguments.Notes.Count);
        Assert.Contains("--frobnicate", arguments.Notes[1]);
    }

    [Theory]
    [InlineData("")]
    [InlineData("sleep")]
    [InlineData("reboot --timeout=soon")]
    [InlineData("reboot --timeout")]
    public void Bad_command_lines_are_refused(string commandLine)
    {
        Assert.Throws<FormatException>(() => FinalStageArguments.Parse(commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries)));
    }

    [Theory]
    [InlineData("90", 90_000)]
    [InlineData("500ms", 500)]
    [InlineData("1h", 3_600_000)]
    [InlineData("2500000us", 2_500)]
    public void Time_spans_in_systemds_units(string text, int milliseconds)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), FinalStageArguments.ParseTimeout(text));
    }
}
