using System.Text;
using SmbRoot.Core.Images;
using Xunit;

namespace SmbRoot.Tests.Images;

public class ImagePointerTests
{
    private static string Resolve(string pointer, string content) => ImagePointer.Resolve(pointer, Encoding.UTF8.GetBytes(content));

    [Theory]
    [InlineData("golden/current", "debian-12-20261124.img\n", "golden/debian-12-20261124.img")]
    [InlineData("golden/current", "  debian 12.img \r\n", "golden/debian 12.img")]
    [InlineData("current", "v2.img", "v2.img")]
    [InlineData("a/b/current", "été.img", "a/b/été.img")]
    public void The_name_is_a_file_beside_the_pointer(string pointer, string content, string expected) =>
        Assert.Equal(expected, Resolve(pointer, content));

    [Theory]
    [InlineData("", "is empty")]
    [InlineData(" \n ", "is empty")]
    [InlineData("a.img\nb.img", "has more than one line")]
    [InlineData("../other/a.img", "names a path")]
    [InlineData("sub/a.img", "names a path")]
    [InlineData("..", "names a path")]
    [InlineData("a\\b.img", "names a path")]
    [InlineData("a\tb.img", "holds control characters")]
    [InlineData("current", "names itself")]
    public void Anything_else_is_refused_with_the_pointer_named(string content, string problem)
    {
        string message = Assert.Throws<FormatException>(() => Resolve("golden/current", content)).Message;
        Assert.StartsWith($"the pointer file golden/current {problem}", message);
        Assert.EndsWith("expected one line with the name of an image file in the same directory", message);
    }

    [Fact]
    public void Binary_content_and_overlong_names_are_refused()
    {
        Assert.Contains("is not UTF-8 text", Assert.Throws<FormatException>(() => ImagePointer.Resolve("p", [0xff, 0xfe, 0x41])).Message);
        Assert.Contains("longer than 255 bytes", Assert.Throws<FormatException>(() => Resolve("p", new string('x', 256))).Message);
    }
}
