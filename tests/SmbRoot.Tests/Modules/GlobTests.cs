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
    public void Matches_like_fnmatch(string pattern, string text, bool expected) => Assert.Equal(expected, Glob.Matches(pattern, text));

    [Fact]
    public void Many_stars_against_a_long_miss_do_not_blow_up()
    {
        string pattern = string.Concat(Enumerable.Repeat("*a", 30)) + "*b";
        Assert.False(Glob.Matches(pattern, new string('a', 5000)));
    }
}
