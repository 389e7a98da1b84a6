using SmbRoot.Core.Filesystems;
using SmbRoot.Lab;
using Xunit;

namespace SmbRoot.Tests.Filesystems;

public class SuperblockDetectorTests
{
    private static byte[] Head(int offset, params byte[] magic)
    {
        var head = new byte[SuperblockDetector.BytesNeeded];
        magic.CopyTo(head, offset);
        return head;
    }

    [Theory]
    [InlineData(0, new byte[] { (byte)'X', (byte)'F', (byte)'S', (byte)'B' }, "xfs")]
    [InlineData(0, new byte[] { (byte)'h', (byte)'s', (byte)'q', (byte)'s' }, "squashfs")]
    [InlineData(0x10040, new byte[] { (byte)'_', (byte)'B', (byte)'H', (byte)'R', (byte)'f', (byte)'S', (byte)'_', (byte)'M' }, "btrfs")]
    [InlineData(1024 + 0x38, new byte[] { 0x53, 0xEF }, "ext4")]
    [InlineData(1024, new byte[] { 0x10, 0x20, 0xF5, 0xF2 }, "f2fs")]
    public void Finds_the_magic_at_its_offset(int offset, byte[] magic, string expected)
    {
        Assert.Equal(expected, SuperblockDetector.Detect(Head(offset, magic)));
    }

    [Fact]
    public void Zeros_and_short_input_are_unknown()
    {
        Assert.Null(SuperblockDetector.Detect(new byte[SuperblockDetector.BytesNeeded]));
        Assert.Null(SuperblockDetector.Detect([]));
        Assert.Null(SuperblockDetector.Detect(Head(1024 + 0x38, 0x53, 0xEF).AsSpan(0, 1024 + 0x39)));
    }

    /// <summary>Images made by the real mkfs tools (build.sh test installs e2fsprogs, xfsprogs, btrfs-progs).</summary>
    [Theory]
    [InlineData("mkfs.ext4", "e2fsprogs", "ext4", 16, new[] { "-q", "-F" })] // mke2fs.conf: "small" filesystems get 1 KiB blocks
    [InlineData("mkfs.ext4", "e2fsprogs", "ext4", 16, new[] { "-q", "-F", "-b", "4096" })]
    [InlineData("mkfs.ext2", "e2fsprogs", "ext4", 16, new[] { "-q", "-F" })]
    [InlineData("mkfs.xfs", "xfsprogs", "xfs", 320, new[] { "-q", "-f" })]
    [InlineData("mkfs.btrfs", "btrfs-progs", "btrfs", 128, new[] { "-q", "-f" })]
    public void Recognises_images_from_the_real_tools(string tool, string package, string expected, int megabytes, string[] options)
    {
        string image = Path.Combine(Path.GetTempPath(), $"smbroot-detect-{tool}-{Guid.NewGuid():N}.img");
        try
        {
            using (var file = File.Create(image)) file.SetLength(megabytes << 20);
            Shell.Run(Shell.Require(tool, package), [.. options, image], null);
            var head = new byte[SuperblockDetector.BytesNeeded];
            using (var file = File.OpenRead(image)) file.ReadExactly(head);
            Assert.Equal(expected, SuperblockDetector.Detect(head));
        }
        finally
        {
            File.Delete(image);
        }
    }

}
