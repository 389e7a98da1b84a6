namespace SmbRoot.Core.Filesystems;

/// <summary>
/// Names the filesystem in an image from the magic numbers in its first 68 KiB, as blkid does.
/// Offsets come from each filesystem's on-disk format headers in the kernel sources.
/// </summary>
public static class SuperblockDetector
{
    /// <summary>How many bytes from the start of the image <see cref="Detect"/> wants to see.</summary>
    public const int BytesNeeded = 0x10040 + 8;

    public static string? Detect(ReadOnlySpan<byte> head)
    {
        // fs/xfs/libxfs/xfs_format.h: XFS_SB_MAGIC "XFSB" at byte 0, big-endian.
        if (At(head, 0, "XFSB"u8)) return "xfs";
        // fs/squashfs/squashfs_fs.h: SQUASHFS_MAGIC 0x73717368, little-endian "hsqs".
        if (At(head, 0, "hsqs"u8)) return "squashfs";
        // fs/btrfs: BTRFS_MAGIC "_BHRfS_M" at offset 0x40 of the superblock at 64 KiB.
        if (At(head, 0x10040, "_BHRfS_M"u8)) return "btrfs";
        // fs/ext4/ext4.h: superblock at 1024, s_magic 0xEF53 (little-endian) at offset 0x38.
        // ext2 and ext3 are mounted by the ext4 driver too.
        if (At(head, 1024 + 0x38, [0x53, 0xEF])) return "ext4";
        // fs/f2fs: F2FS_SUPER_MAGIC 0xF2F52010 at 1024, little-endian.
        if (At(head, 1024, [0x10, 0x20, 0xF5, 0xF2])) return "f2fs";
        // FAT boot sector: 0x55AA at 510 and a FAT type string.
        if (At(head, 510, [0x55, 0xAA]) && (At(head, 54, "FAT"u8) || At(head, 82, "FAT32"u8))) return "vfat";
        return null;
    }

    private static bool At(ReadOnlySpan<byte> head, int offset, ReadOnlySpan<byte> magic) =>
        head.Length >= offset + magic.Length && head.Slice(offset, magic.Length).SequenceEqual(magic);
}
