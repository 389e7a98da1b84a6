using SmbRoot.Core.Images;
using SmbRoot.Core.Overlay;
using Xunit;

namespace SmbRoot.Tests.Overlay;

public class LayerStampTests
{
    private static readonly LayerStamp V1 = new("golden/v1.img", new ImageIdentity(4711, 1L << 30, new DateTimeOffset(2026, 11, 24, 10, 0, 0, TimeSpan.Zero).AddTicks(1234567)));

    [Fact]
    public void A_stamp_reads_back_as_written() => Assert.Equal(V1, LayerStamp.Parse(V1.Format()));

    [Fact]
    public void The_same_image_under_another_name_is_still_the_same_image() =>
        Assert.Null(V1.RefusalOver(V1 with { Image = "golden/renamed.img" }));

    [Fact]
    public void Another_file_is_refused_with_both_names_and_what_differs()
    {
        var v2 = new LayerStamp("golden/v2.img", V1.Identity with { FileId = 4712 });
        Assert.Equal("the layer was made on the golden image golden/v1.img, and this boot's golden image golden/v2.img is another file (file id 4711 is now 4712)", V1.RefusalOver(v2));
    }

    private static readonly ContentStamp Published = new(1L << 30, new string('a', 64), new DateTimeOffset(2026, 12, 7, 9, 0, 0, TimeSpan.Zero));

    [Fact]
    public void A_content_stamp_reads_back_with_the_rest() =>
        Assert.Equal(Published, LayerStamp.Parse((V1 with { Identity = V1.Identity with { Stamp = Published } }).Format()).Identity.Stamp);

    [Fact]
    public void With_content_stamps_a_copy_elsewhere_is_the_same_image_and_other_content_is_refused()
    {
        var made = V1 with { Identity = V1.Identity with { Stamp = Published } };
        // A DFS target's copy: the client's own inode number, another modification time, the same content.
        var copy = new LayerStamp("golden/v1.img", new ImageIdentity(99, 1L << 30, DateTimeOffset.UnixEpoch) { Stamp = Published });
        Assert.Null(made.RefusalOver(copy));
        var other = copy with { Identity = copy.Identity with { Stamp = Published with { Digest = new string('b', 64) } } };
        Assert.Equal("the layer was made on the golden image golden/v1.img, and this boot's golden image golden/v1.img holds other content " +
            "(content stamp sha256:bbbbbbbbbbbb, where the layer's image had sha256:aaaaaaaaaaaa)", made.RefusalOver(other));
    }

    [Fact]
    public void A_stamp_without_content_is_compared_by_file_as_before() =>
        Assert.Contains("is another file (file id 4711 is now 99", V1.RefusalOver(new LayerStamp("golden/v1.img", new ImageIdentity(99, 1L << 30, DateTimeOffset.UnixEpoch) { Stamp = Published })));

    [Theory]
    [InlineData("image=x\nfile_id=1\nsize=1\nmodified=2026-11-24T10:00:00.0000000+00:00\ncontent_sha256=xyz\ncontent_bytes=4096\ncontent_published=2026-11-24T10:00:00.0000000+00:00\n", "content_ line")]
    [InlineData("image=x\nsize=1\nmodified=2026-11-24T10:00:00.0000000+00:00\n", "no file_id= line")]
    [InlineData("image=x\nfile_id=-1\nsize=1\nmodified=2026-11-24T10:00:00.0000000+00:00\n", "file_id= that is not a number")]
    [InlineData("image=x\nfile_id=1\nsize=1\nmodified=yesterday\n", "modified= that is not a time")]
    public void A_damaged_stamp_says_what_is_wrong(string text, string message) =>
        Assert.Contains(message, Assert.Throws<FormatException>(() => LayerStamp.Parse(text)).Message);
}
