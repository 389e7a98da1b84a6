using SmbRoot.Core.Plan;
using Xunit;

namespace SmbRoot.Tests.Plan;

public class KernelCommandLineTests
{
    [Fact]
    public void Splits_words_keys_and_values()
    {
        var line = KernelCommandLine.Parse("  console=ttyS0  ro root=cifs://a/b/c.img quiet\n");
        Assert.Equal([new("console", "ttyS0"), new("ro", null), new("root", "cifs://a/b/c.img"), new("quiet", null)], line.Arguments);
    }

    [Fact]
    public void Quotes_group_spaces_and_are_removed_as_the_kernel_does()
    {
        var line = KernelCommandLine.Parse("rootflags=\"a b\" \"key=x y\" init=/sbin/init");
        Assert.Equal("a b", line.Last("rootflags"));
        Assert.Equal("x y", line.Last("key"));
        Assert.Equal("/sbin/init", line.Last("init"));
    }

    [Fact]
    public void Words_after_a_double_dash_belong_to_init()
    {
        var line = KernelCommandLine.Parse("root=x -- single emergency=1");
        Assert.Equal(["single", "emergency=1"], line.InitArguments);
        Assert.False(line.Has("single"));
    }

    [Fact]
    public void The_last_value_wins_and_a_bare_key_is_empty()
    {
        var line = KernelCommandLine.Parse("rd.retry=5 rd.shell rd.retry=9");
        Assert.Equal("9", line.Last("rd.retry"));
        Assert.Equal("", line.Last("rd.shell"));
        Assert.Null(line.Last("absent"));
        Assert.Equal(2, line.LastIndexOf("rd.retry", "rd.shell"));
    }

    [Theory]
    [InlineData("", new string[0])]
    [InlineData("\"", new[] { "" })]
    [InlineData("=\"", new[] { "=" })]
    [InlineData("a=\"b", new[] { "a=b" })]
    [InlineData("\"\" = == \"=\"", new[] { "", "=", "==", "=" })]
    public void Odd_input_is_split_as_the_kernel_splits_it(string text, string[] expected)
    {
        Assert.Equal(expected, KernelCommandLine.Parse(text).Arguments.Select(a => a.Value is null ? a.Key : a.Key + "=" + a.Value));
    }
}
