using SmbRoot.Core.Images;
using Xunit;

namespace SmbRoot.Tests.Images;

public class PointerHistoryTests
{
    [Fact]
    public void Names_round_trip_and_what_cannot_be_a_pointers_name_is_dropped()
    {
        Assert.Equal(["v1.img", "v2.img"], PointerHistory.Parse(PointerHistory.Format(["v1.img", "v2.img"])));
        Assert.Equal(["v1.img"], PointerHistory.Parse("\n  v1.img  \n../x.img\na/b.img\n..\n"));
    }

    [Theory]
    [InlineData("v2.img", "v1.img", null)]
    [InlineData("v2.img", null, null)]
    [InlineData("v1.img", "v1.img", "never changed in place")]
    [InlineData("../v1.img", "v1.img", "not a file name beside")]
    public void What_may_be_published(string image, string? current, string? refusal)
    {
        string? said = PointerHistory.PublishRefusal("golden/current", image, current);
        if (refusal is null) Assert.Null(said);
        else Assert.Contains(refusal, said);
    }
}
