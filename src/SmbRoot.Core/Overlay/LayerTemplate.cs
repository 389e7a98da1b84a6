using System.Buffers.Binary;
using System.Numerics;
using System.Text;

namespace SmbRoot.Core.Overlay;

/// <summary>
/// The empty ext4 filesystem a new persistent layer starts as. The initramfs has no mkfs, so the
/// initramfs builder runs mke2fs once on a small file and keeps only its non-zero 4 KiB blocks
/// (a dozen of them); the boot writes those into the new, sparse layer file and grows the
/// filesystem to the file's size once it is mounted (EXT4_IOC_RESIZE_FS, as resize2fs does online).
/// Packed form: <see cref="Magic"/>, the filesystem's size (u64 LE), then per block its index (u64 LE) and its 4096 bytes.
/// </summary>
public sealed class LayerTemplate
{
    public const int BlockSize = 4096;
    public static readonly byte[] Magic = Encoding.ASCII.GetBytes("SMBROOT-LAYER-TEMPLATE 1\n");

    /// <summary>The superblock sits 1024 bytes into block 0 (Documentation/filesystems/ext4/super.rst); offsets within it.</summary>
    private const int Superblock = 1024, UuidOffset = 0x68, MkfsTimeOffset = 0x108, FeatureIncompat = 0x60, FeatureRoCompat = 0x64, ChecksumOffset = 0x3FC;

    private const uint IncompatCsumSeed = 0x2000, RoCompatMetadataCsum = 0x400;

    private LayerTemplate(long size, IReadOnlyList<(long Index, byte[] Data)> blocks) => (Size, Blocks) = (size, blocks);

    /// <summary>The template filesystem's size: the smallest layer there can be.</summary>
    public long Size { get; }

    /// <summary>The non-zero blocks, in increasing order; everything else is zero, which a sparse file already is.</summary>
    public IReadOnlyList<(long Index, byte[] Data)> Blocks { get; }

    /// <summary>Keeps the non-zero blocks of <paramref name="image"/>, an ext4 filesystem fresh from mke2fs.</summary>
    public static byte[] Pack(ReadOnlySpan<byte> image)
    {
        if (image.Length % BlockSize != 0 || image.Length == 0) throw new ArgumentException($"the template image is {image.Length} bytes, not a whole number of {BlockSize}-byte blocks");
        var packed = new MemoryStream();
        packed.Write(Magic);
        Span<byte> number = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(number, image.Length);
        packed.Write(number);
        for (int index = 0; index < image.Length / BlockSize; index++)
        {
            var block = image.Slice(index * BlockSize, BlockSize);
            if (!block.ContainsAnyExcept((byte)0)) continue;
            BinaryPrimitives.WriteInt64LittleEndian(number, index);
            packed.Write(number);
            packed.Write(block);
        }
        return packed.ToArray();
    }

    /// <summary>Reads the packed form; anything else is a <see cref="FormatException"/> (a damaged initramfs).</summary>
    public static LayerTemplate Unpack(ReadOnlySpan<byte> packed)
    {
        if (!packed.StartsWith(Magic) || packed.Length < Magic.Length + 8) throw new FormatException("the layer template does not start with its header");
        long size = BinaryPrimitives.ReadInt64LittleEndian(packed[Magic.Length..]);
        if (size <= 0 || size % BlockSize != 0) throw new FormatException($"the layer template's size {size} is not a whole number of blocks");
        var rest = packed[(Magic.Length + 8)..];
        if (rest.Length % (8 + BlockSize) != 0) throw new FormatException("the layer template ends in the middle of a block");
        var blocks = new List<(long, byte[])>();
        long previous = -1;
        for (; rest.Length > 0; rest = rest[(8 + BlockSize)..])
        {
            long index = BinaryPrimitives.ReadInt64LittleEndian(rest);
            if (index <= previous || index >= size / BlockSize) throw new FormatException($"the layer template's block {index} is out of order or past its end");
            blocks.Add((index, rest.Slice(8, BlockSize).ToArray()));
            previous = index;
        }
        if (blocks.Count == 0 || blocks[0].Item1 != 0) throw new FormatException("the layer template has no superblock");
        return new LayerTemplate(size, blocks);
    }

    /// <summary>
    /// Block 0 with this layer's own filesystem UUID and creation time, so that no two layers share
    /// a UUID (blkid, /dev/disk/by-uuid). The UUID may change only where the metadata checksums do
    /// not derive from it (metadata_csum_seed, or no metadata_csum); the superblock's own crc32c is recomputed.
    /// </summary>
    public byte[] FirstBlockFor(Guid uuid, DateTimeOffset created)
    {
        var block = (byte[])Blocks[0].Data.Clone();
        var superblock = block.AsSpan(Superblock, 1024);
        uint incompat = BinaryPrimitives.ReadUInt32LittleEndian(superblock[FeatureIncompat..]);
        bool checksummed = (BinaryPrimitives.ReadUInt32LittleEndian(superblock[FeatureRoCompat..]) & RoCompatMetadataCsum) != 0;
        if (checksummed && (incompat & IncompatCsumSeed) == 0) throw new FormatException("the layer template has metadata_csum without metadata_csum_seed: its UUID cannot change");
        uuid.TryWriteBytes(superblock.Slice(UuidOffset, 16), bigEndian: true, out _);
        BinaryPrimitives.WriteUInt32LittleEndian(superblock[MkfsTimeOffset..], (uint)Math.Clamp(created.ToUnixTimeSeconds(), 0, uint.MaxValue));
        if (checksummed) BinaryPrimitives.WriteUInt32LittleEndian(superblock[ChecksumOffset..], Crc32C(superblock[..ChecksumOffset]));
        return block;
    }

    /// <summary>How many bytes the ext4 filesystem whose first 2 KiB are <paramref name="head"/> covers: s_blocks_count (lo and hi) times the block size.</summary>
    public static long FileSystemBytes(ReadOnlySpan<byte> head)
    {
        var superblock = head.Slice(Superblock, 1024);
        ulong blocks = BinaryPrimitives.ReadUInt32LittleEndian(superblock[0x4..]) | (ulong)BinaryPrimitives.ReadUInt32LittleEndian(superblock[0x150..]) << 32;
        int logBlockSize = (int)Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(superblock[0x18..]), 6); // 1 KiB << 6 = 64 KiB, ext4's largest
        // The block count comes from a file anyone who can write the share may have made: no wrap.
        long blockSize = 1024L << logBlockSize;
        return blocks > (ulong)(long.MaxValue / blockSize) ? long.MaxValue : (long)blocks * blockSize;
    }

    /// <summary>
    /// ext4's crc32c: seed ~0 and no final inversion (fs/ext4/super.c, ext4_superblock_csum; the
    /// kernel's crc32c() leaves the result as the instruction does).
    /// </summary>
    public static uint Crc32C(ReadOnlySpan<byte> data)
    {
        uint crc = ~0u;
        foreach (byte b in data) crc = BitOperations.Crc32C(crc, b);
        return crc;
    }
}
