using SmbRoot.Core.Boot;
using Xunit;

namespace SmbRoot.Tests.Boot;

public class RetryBackoffTests
{
    private static readonly TimeSpan Plenty = TimeSpan.FromHours(1);

    [Fact]
    public void Doubles_from_2_s_to_30_s_spread_over_half_to_one_and_a_half_times()
    {
        var low = new RetryBackoff(() => 0);
        Assert.Equal(new[] { 1.0, 2, 4, 8, 15, 15 }, Enumerable.Range(0, 6).Select(_ => low.Next(Plenty).TotalSeconds));
        var high = new RetryBackoff(() => 1);
        Assert.Equal(new[] { 3.0, 6, 12, 24, 45 }, Enumerable.Range(0, 5).Select(_ => high.Next(Plenty).TotalSeconds));
    }

    [Fact]
    public void Machines_that_failed_together_retry_apart()
    {
        var random = new Random(7);
        var firstRetries = Enumerable.Range(0, 8).Select(_ => new RetryBackoff(random.NextDouble).Next(Plenty).TotalSeconds).ToList();
        Assert.True(firstRetries.Max() - firstRetries.Min() > 0.5, string.Join(", ", firstRetries));
    }

    [Fact]
    public void What_is_left_of_rd_retry_caps_the_wait_and_reset_starts_again()
    {
        var backoff = new RetryBackoff(() => 0.5);
        Assert.Equal(TimeSpan.FromSeconds(1), backoff.Next(TimeSpan.FromSeconds(1)));
        Assert.Equal(TimeSpan.FromSeconds(4), backoff.Next(Plenty));
        backoff.Reset();
        Assert.Equal(TimeSpan.FromSeconds(2), backoff.Next(Plenty));
    }
}
