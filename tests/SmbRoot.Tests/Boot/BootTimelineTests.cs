using SmbRoot.Core.Boot;
using Xunit;

namespace SmbRoot.Tests.Boot;

public class BootTimelineTests
{
    private static TimeSpan S(double seconds) => TimeSpan.FromSeconds(seconds);

    [Fact]
    public void One_line_step_by_step_with_what_is_left_as_other()
    {
        var timeline = new BootTimeline();
        timeline.Add("modules", S(0.91));
        timeline.Add("network", S(0.34));
        timeline.Add("switch", S(0.06));
        Assert.Equal("booted in 2.1 s: modules 0.9, network 0.3, switch 0.1, other 0.8", timeline.Describe(S(2.1)));
    }

    [Fact]
    public void Nothing_unaccounted_is_no_other()
    {
        var timeline = new BootTimeline();
        timeline.Add("modules", S(1.0));
        Assert.Equal("booted in 1.0 s: modules 1.0", timeline.Describe(S(1.02)));
    }
}
