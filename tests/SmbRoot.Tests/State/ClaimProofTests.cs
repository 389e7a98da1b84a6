using SmbRoot.Core.State;
using Xunit;

namespace SmbRoot.Tests.State;

public class ClaimProofTests
{
    [Fact]
    public void A_proof_reads_back_as_written()
    {
        var proof = new ClaimProof(TimeSpan.FromMilliseconds(123_456), true);
        Assert.Equal("proved_at_ms=123456\nwatchdog=yes\n", proof.Serialize());
        Assert.Equal(proof, ClaimProof.Parse(proof.Serialize()));
        Assert.False(ClaimProof.Parse("proved_at_ms=1\nwatchdog=no\n").Watchdog);
    }

    [Theory]
    [InlineData("", "proved_at_ms")]
    [InlineData("proved_at_ms=-5\nwatchdog=yes", "proved_at_ms")]
    [InlineData("proved_at_ms=99999999999999999999\nwatchdog=yes", "proved_at_ms")]
    [InlineData("proved_at_ms=5\n", "watchdog=")]
    [InlineData("proved_at_ms=5\nwatchdog=maybe", "watchdog=maybe")]
    public void A_damaged_file_names_what_is_wrong(string text, string named) =>
        Assert.Contains(named, Assert.Throws<FormatException>(() => ClaimProof.Parse(text)).Message);
}
