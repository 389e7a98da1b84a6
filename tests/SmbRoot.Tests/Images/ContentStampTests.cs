using System.Security.Cryptography;
using System.Text;
using SmbRoot.Admin;
using SmbRoot.Core.Images;
using Xunit;

namespace SmbRoot.Tests.Images;

public sealed class ContentStampTests : IDisposable
{
    private static readonly DateTimeOffset Noon = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);
    private readonly string _directory = Directory.CreateTempSubdirectory("smbroot-stamp-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static byte[] Tail(string path)
    {
        var bytes = File.ReadAllBytes(path);
        return bytes[^ContentStamp.Size..];
    }

    private string Image(int bytes, byte fill = 7)
    {
        string path = Path.Combine(_directory, $"image-{bytes}-{fill}.img");
        File.WriteAllBytes(path, Enumerable.Repeat(fill, bytes).ToArray());
        return path;
    }

    [Fact]
    public void A_stamp_reads_back_as_written_and_only_at_the_end_of_a_file_of_its_size()
    {
        var stamp = new ContentStamp(8192, new string('c', 64), Noon);
        Assert.Equal(stamp, ContentStamp.Find(8192 + ContentStamp.Size, stamp.ToBytes()));
        Assert.Null(ContentStamp.Find(8192 + 2 * ContentStamp.Size, stamp.ToBytes())); // the file grew since: not its stamp
        Assert.Null(ContentStamp.Find(8192, new byte[ContentStamp.Size]));
        Assert.Equal("sha256:cccccccccccc", stamp.ShortName);
    }

    [Theory]
    [InlineData("content-bytes=100\nsha256=" + "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc" + "\npublished=2026-12-07T12:00:00Z\n", "not a multiple of 4096")]
    [InlineData("content-bytes=4096\nsha256=CCCC\npublished=2026-12-07T12:00:00Z\n", "64 lower-case hex digits")]
    [InlineData("content-bytes=4096\nsha256=" + "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc" + "\npublished=noon\n", "not a time")]
    [InlineData("content-bytes=4096\n", "no sha256= line")]
    public void A_damaged_stamp_says_what_is_wrong(string lines, string message)
    {
        var block = new byte[ContentStamp.Size];
        Encoding.ASCII.GetBytes("SMBROOT-CONTENT-STAMP 1\n" + lines).CopyTo(block, 0);
        Assert.Contains(message, Assert.Throws<FormatException>(() => ContentStamp.Find(4096 + ContentStamp.Size, block)).Message);
    }

    [Fact]
    public void Publish_pads_the_image_to_4_KiB_and_stamps_the_digest_of_what_is_before_the_stamp()
    {
        string image = Image(10_000);
        var stamp = ImageStamping.Stamp(image, Noon, Quiet(), out bool written);
        Assert.True(written);
        Assert.Equal(12288 + ContentStamp.Size, new FileInfo(image).Length);
        var bytes = File.ReadAllBytes(image);
        Assert.Equal(Convert.ToHexString(SHA256.HashData(bytes.AsSpan(0, 12288))).ToLowerInvariant(), stamp.Digest);
        Assert.All(bytes[10_000..12288], b => Assert.Equal(0, b));
        Assert.Equal(stamp, ContentStamp.Find(bytes.Length, Tail(image)));
    }

    [Fact]
    public void Publishing_again_leaves_a_stamped_image_untouched_and_restamps_one_changed_since()
    {
        string image = Image(8192);
        var first = ImageStamping.Stamp(image, Noon, Quiet(), out _);
        var modified = File.GetLastWriteTimeUtc(image);
        Thread.Sleep(20);
        Assert.Equal(first, ImageStamping.Stamp(image, Noon.AddHours(1), Quiet(), out bool again));
        Assert.False(again);
        Assert.Equal(modified, File.GetLastWriteTimeUtc(image));

        using (var file = new FileStream(image, FileMode.Open)) file.WriteByte(9); // changed in place after it was published
        var second = ImageStamping.Stamp(image, Noon.AddHours(1), Quiet(), out bool restamped);
        Assert.True(restamped);
        Assert.NotEqual(first.Digest, second.Digest);
        Assert.Equal(8192 + ContentStamp.Size, new FileInfo(image).Length); // the old stamp replaced, not kept under the new one
    }

    [Fact]
    public void Byte_copies_have_the_same_stamp_and_other_content_another()
    {
        var a = ImageStamping.Stamp(Image(8192, 1), Noon, Quiet(), out _);
        var b = ImageStamping.Stamp(Image(8192, 2), Noon, Quiet(), out _);
        string copy = Path.Combine(_directory, "copy.img");
        File.Copy(Path.Combine(_directory, "image-8192-1.img"), copy);
        Assert.True(a.SameContent(ContentStamp.Find(new FileInfo(copy).Length, Tail(copy))!));
        Assert.False(a.SameContent(b));
    }

    [Fact]
    public void The_head_hash_is_64_bit_FNV_1a()
    {
        Assert.Equal(0xcbf29ce484222325UL, ContentStamp.HashHead([]));
        Assert.Equal(0xaf63dc4c8601ec8cUL, ContentStamp.HashHead("a"u8));
        Assert.NotEqual(ContentStamp.HashHead(new byte[ContentStamp.HeadBytes]), ContentStamp.HashHead([.. new byte[ContentStamp.HeadBytes - 1], 1]));
    }

    private static ProgressLine Quiet() => new(TextWriter.Null, "stamping");
}
