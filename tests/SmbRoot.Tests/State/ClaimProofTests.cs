using SmbRoot.Core.State;
using Xunit;

namespace SmbRoot.Tests.State;

public class ClaimProofTests
{
    [Fact]
    public void A_proof_reads_back_as_written()
    {
        var proof = new ClaimProof(TimeSpan.FromMilliseconds(123_456), TimeSpan.FromSeconds(60), true);
        Assert.Equal("proved_at_ms=123456\ndeadline_s=60\nwatchdog=yes\n", proof.Serialize());
        Assert.Equal(proof, ClaimProof.Parse(proof.Serialize()));
        Assert.False(ClaimProof.Parse("proved_at_ms=1\ndeadline_s=5\nwatchdog=no\n").Watchdog);
    }

    [Theory]
    [InlineData("", "proved_at_ms")]
    [InlineData("proved_at_ms=-5\ndeadline_s=60\nwatchdog=yes", "proved_at_ms")]
    [InlineData("proved_at_ms=99999999999999999999\ndeadline_s=60\nwatchdog=yes", "proved_at_ms")]
    [InlineData("proved_at_ms=5\nwatchdog=yes", "deadline_s")]
    [InlineData("proved_at_ms=5\ndeadline_s=0\nwatchdog=yes", "deadline_s")]
    [InlineData("proved_at_ms=5\ndeadline_s=3601\nwatchdog=yes", "deadline_s")]
    [InlineData("proved_at_ms=5\ndeadline_s=60\n", "watchdog=")]
    [InlineData("proved_at_ms=5\ndeadline_s=60\nwatchdog=maybe", "watchdog=maybe")]
    public void A_damaged_file_names_what_is_wrong(string text, string named) =>
        Assert.Contains(named, Assert.Throws<FormatException>(() => ClaimProof.Parse(text)).Message);

    [Fact]
    public void A_key_written_twice_counts_once_its_last() =>
        Assert.Equal(TimeSpan.FromMilliseconds(2), ClaimProof.Parse("proved_at_ms=1\nproved_at_ms=2\ndeadline_s=60\nwatchdog=no\n").ProvedAt);
}
