using SmbRoot.Boot;
using SmbRoot.Core.Plan;
using SmbRoot.Logging;
using SmbRoot.Resources;
using Xunit;

namespace SmbRoot.Tests.Boot;

/// <summary>The runner's undo and retry, driven with steps of the tests' own (the seam: steps, the wait, the fallback).</summary>
public class BootRunnerTests
{
    private sealed class Thing(string name, List<string> released) : IResource
    {
        public string Name => name;
        public void Release(Deadline deadline) => released.Add(name);
    }

    private readonly WrittenLog _log = new();
    private readonly List<string> _released = [];
    private readonly List<TimeSpan> _waits = [];
    private int _fallbacks;

    private BootRunner Runner(string commandLine, IReadOnlyList<BootStep> steps, Fallback.Choice choice = Fallback.Choice.Reboot)
    {
        var plan = BootPlan.Parse(KernelCommandLine.Parse(commandLine));
        var context = new BootContext(plan, _log, new KernelConsoleLoggerProvider(), new ModuleLoader(_log, "test"));
        return new BootRunner(context, steps, _waits.Add, () =>
        {
            _fallbacks++;
            return choice;
        });
    }

    private BootStep Making(string name, bool retryable = true) => new(name, retryable, (_, made) => made.Add(new Thing(name, _released)));

    [Fact]
    public void A_failed_attempt_is_undone_in_reverse_then_tried_again_while_rd_retry_lasts()
    {
        int tries = 0;
        var steps = new[]
        {
            Making("network"), Making("share"),
            new BootStep("image", true, (_, _) => { if (++tries == 1) throw new BootException("the image is in use", "the other machine"); }),
        };
        var outcome = Runner("root=cifs://s/b/r.img ip=dhcp rd.retry=30", steps).Run();

        var booted = Assert.IsType<BootRunner.Outcome.Booted>(outcome);
        Assert.Equal(["share", "network"], _released);
        Assert.Single(_waits);
        Assert.Equal(0, _fallbacks);
        Assert.Contains(_log.Written, l => l == "image: the image is in use");
        Assert.Contains(_log.Written, l => l.StartsWith("attempt 1 failed; retrying in", StringComparison.Ordinal));
        Assert.Matches(@"^booted in \d+\.\d s: network 0\.0, share 0\.0, image 0\.0", booted.Timeline.Describe(TimeSpan.Zero));
    }

    [Fact]
    public void What_a_failing_step_made_before_it_failed_is_given_back_first()
    {
        var steps = new[]
        {
            Making("network"),
            new BootStep("image", true, (_, made) =>
            {
                made.Add(new Thing("claim", _released));
                throw new BootException("attaching the loop device failed", "dmesg", permanent: true);
            }),
        };
        Assert.IsType<BootRunner.Outcome.GaveUp>(Runner("root=cifs://s/b/r.img ip=dhcp rd.retry=30", steps).Run());
        Assert.Equal(["claim", "network"], _released);
    }

    [Fact]
    public void A_step_a_retry_cannot_help_goes_to_the_fallback_at_once()
    {
        var steps = new[] { Making("modules", retryable: false), new BootStep("check", false, (_, _) => throw new BootException("PID 1 is not 1", "the boot loader")) };
        var outcome = Runner("root=cifs://s/b/r.img ip=dhcp rd.retry=30", steps).Run();

        Assert.Equal(Fallback.Choice.Reboot, Assert.IsType<BootRunner.Outcome.GaveUp>(outcome).Choice);
        Assert.Equal(["modules"], _released);
        Assert.Empty(_waits);
        Assert.Equal(1, _fallbacks);
    }

    [Fact]
    public void A_permanent_failure_is_not_retried_even_in_a_retryable_step()
    {
        var steps = new[] { Making("share"), new BootStep("image", true, (_, _) => throw new BootException("not a filesystem", "the file", permanent: true)) };
        Assert.IsType<BootRunner.Outcome.GaveUp>(Runner("root=cifs://s/b/r.img ip=dhcp rd.retry=30", steps).Run());
        Assert.Empty(_waits);
        Assert.Equal(["share"], _released);
    }

    [Fact]
    public void With_rd_retry_0_the_fallback_decides_and_Retry_starts_a_new_attempt()
    {
        int tries = 0;
        var steps = new[] { Making("network"), new BootStep("share", true, (_, _) => { if (++tries == 1) throw new IOException("no route to host"); }) };
        var outcome = Runner("root=cifs://s/b/r.img ip=dhcp rd.retry=0", steps, Fallback.Choice.Retry).Run();

        Assert.IsType<BootRunner.Outcome.Booted>(outcome);
        Assert.Equal(1, _fallbacks);
        Assert.Empty(_waits);
        Assert.Equal(["network"], _released);
        Assert.Contains(_log.Written, l => l == "share: unexpected IOException: no route to host");
    }
}
