using SmbRoot.Core.Modules;
using Xunit;

namespace SmbRoot.Tests.Modules;

public class GlobTests
{
    [Theory]
    [InlineData("pci:v00008086d0000100Esv*sd*bc*sc*i*", "pci:v00008086d0000100Esv00001AF4sd00001100bc02sc00i00", true)]
    [InlineData("pci:v00008086d0000100Esv*sd*bc*sc*i*", "pci:v00008086d0000100Fsv00001AF4sd00001100bc02sc00i00", false)]
    [InlineData("virtio:d00000001v*", "virtio:d00000001v00001AF4", true)]
    [InlineData("a?c", "abc", true)]
    [InlineData("a?c", "ac", false)]
    [InlineData("x[0-9]y", "x5y", true)]
    [InlineData("x[!0-9]y", "x5y", false)]
    [InlineData("*", "", true)]
    [InlineData("", "a", false)]
    [InlineData("[", "[", true)]
    [InlineData("a*b*c*d", "aXbYcZ", false)]
    [InlineData("[]a]", "]", true)]
    [InlineData("[!]a]", "]", false)]
    [InlineData("*a*", "bab", true)]
    public void Matches_like_fnmatch(string pattern, string text, bool expected)
    {
        Assert.Equal(expected, Glob.Matches(pattern, text));
        Assert.Equal(expected, Glob.MatchesBySets(pattern, text));
    }

    [Fact]
    public void The_set_simulation_agrees_with_backtracking_on_random_patterns()
    {
        var random = new Random(12);
        string[] pieces = ["*", "?", "a", "b", "[ab]", "[!a]", "[", "]", "[]a]"];
        for (int i = 0; i < 20_000; i++)
        {
            string pattern = string.Concat(Enumerable.Range(0, random.Next(0, 8)).Select(_ => pieces[random.Next(pieces.Length)]));
            string text = new(Enumerable.Range(0, random.Next(0, 10)).Select(_ => "ab[]"[random.Next(4)]).ToArray());
            Assert.True(Glob.Matches(pattern, text) == Glob.MatchesBySets(pattern, text), $"'{pattern}' against '{text}'");
        }
    }

    [Fact]
    public void A_star_before_a_long_run_that_never_ends_right_is_decided_without_backtracking()
    {
        // Found by fuzzing: plain backtracking takes 32768 × 65536 steps here.
        string text = new('a', 65536);
        Assert.False(Glob.Matches("*" + new string('a', 32768) + "b", text));
        Assert.True(Glob.Matches("*" + new string('a', 32768), text));
    }

    [Fact]
    public void Many_stars_against_a_long_miss_do_not_blow_up()
    {
        string pattern = string.Concat(Enumerable.Repeat("*a", 30)) + "*b";
        Assert.False(Glob.Matches(pattern, new string('a', 5000)));
    }
}
