using SmbRoot.Core.Kernel;
using Xunit;

namespace SmbRoot.Tests.Interop;

public class ProcStatTests
{
    [Fact]
    public void User_time_is_field_14_in_hundredths_of_a_second_even_when_the_command_holds_spaces_and_parentheses()
    {
        const string stat = "1 (init (x) y) S 0 1 1 0 -1 4194560 2046 0 11 0 19 164 0 0 20 0 3 0 1 276017152 1367 18446744073709551615";
        Assert.Equal(TimeSpan.FromSeconds(0.19), ProcStat.UserTime(stat));
    }

    [Theory]
    [InlineData("")]
    [InlineData("1 (init) S 0 1")]
    [InlineData("1 (init) S 0 1 1 0 -1 4194560 2046 0 11 0 -5 164")]
    [InlineData("10(init) S 0 1 1 0 -1 4194560 2046 0.11 0 19 16464646464646464 0 0 20 0 3 0 1")] // past a TimeSpan: found by ./build.sh fuzz
    public void A_line_that_is_not_stat_s_is_null(string stat) => Assert.Null(ProcStat.UserTime(stat));
}
