using System.Buffers.Binary;
using SmbRoot.Core.Overlay;
using SmbRoot.Lab;
using SmbRoot.Mkinitramfs;
using Xunit;

namespace SmbRoot.Tests.Overlay;

public class LayerTemplateTests
{
    private const int Block = LayerTemplate.BlockSize;

    [Fact]
    public void Only_the_non_zero_blocks_are_kept_and_come_back_where_they_were()
    {
        var image = new byte[8 * Block];
        image[3] = 1;
        image[5 * Block + 100] = 7;
        var template = LayerTemplate.Unpack(LayerTemplate.Pack(image));
        Assert.Equal(8 * Block, template.Size);
        Assert.Equal([0L, 5L], template.Blocks.Select(b => b.Index));
        Assert.Equal(image.AsSpan(5 * Block, Block).ToArray(), template.Blocks[1].Data);
    }

    [Fact]
    public void A_damaged_template_is_a_format_error()
    {
        var packed = LayerTemplate.Pack(new byte[] { 1 }.Concat(new byte[2 * Block - 1]).ToArray());
        Assert.Throws<FormatException>(() => LayerTemplate.Unpack(packed.AsSpan(0, packed.Length - 1)));
        Assert.Throws<FormatException>(() => LayerTemplate.Unpack(packed.AsSpan(1)));
        var pastTheEnd = (byte[])packed.Clone();
        BinaryPrimitives.WriteInt64LittleEndian(pastTheEnd.AsSpan(LayerTemplate.Magic.Length + 8), 2);
        Assert.Throws<FormatException>(() => LayerTemplate.Unpack(pastTheEnd));
        Assert.Throws<FormatException>(() => LayerTemplate.Unpack(LayerTemplate.Pack(new byte[] { 0 }.Concat(new byte[Block - 1]).Concat(new byte[] { 1 }).Concat(new byte[Block - 1]).ToArray())));
    }

    [Fact]
    public void The_superblock_checksum_is_ext4s_own_crc32c()
    {
        var template = LayerTemplate.Unpack(LayerTemplateImage.Make(1));
        var superblock = template.Blocks[0].Data.AsSpan(1024, 1024);
        Assert.Equal(BinaryPrimitives.ReadUInt32LittleEndian(superblock[0x3FC..]), LayerTemplate.Crc32C(superblock[..0x3FC]));
        Assert.Equal(LayerFile.MinimumBytes, LayerTemplate.FileSystemBytes(template.Blocks[0].Data));
    }

    /// <summary>Found by fuzzing: a block count from a layer file anyone with write access to the share made wrapped the size.</summary>
    [Fact]
    public void A_block_count_too_large_for_a_size_does_not_wrap()
    {
        var head = (byte[])LayerTemplate.Unpack(LayerTemplateImage.Make(1)).Blocks[0].Data.Clone();
        var superblock = head.AsSpan(1024, 1024);
        BinaryPrimitives.WriteUInt32LittleEndian(superblock[0x4..], uint.MaxValue);
        BinaryPrimitives.WriteUInt32LittleEndian(superblock[0x150..], uint.MaxValue);
        BinaryPrimitives.WriteUInt32LittleEndian(superblock[0x18..], 6);
        Assert.Equal(long.MaxValue, LayerTemplate.FileSystemBytes(head));
    }

    /// <summary>What the boot writes into a new layer file, checked by e2fsprogs: clean, with the layer's own UUID.</summary>
    [Fact]
    public void A_layer_made_from_the_template_is_a_clean_ext4_with_its_own_uuid()
    {
        var template = LayerTemplate.Unpack(LayerTemplateImage.Make(1));
        var uuid = Guid.NewGuid();
        string file = Path.Combine(Path.GetTempPath(), $"smbroot-layer-test-{Environment.ProcessId}.img");
        try
        {
            using (var layer = File.Create(file))
            {
                layer.SetLength(template.Size);
                layer.Write(template.FirstBlockFor(uuid, DateTimeOffset.FromUnixTimeSeconds(1_800_000_000)));
                foreach (var (index, data) in template.Blocks.Skip(1))
                {
                    layer.Position = index * Block;
                    layer.Write(data);
                }
            }
            Shell.Run(Shell.Require("e2fsck", "e2fsprogs"), "-fn", file);
            string header = Shell.Run(Shell.Require("dumpe2fs", "e2fsprogs"), "-h", file);
            Assert.Contains($"Filesystem UUID:          {uuid}", header);
            Assert.Contains("metadata_csum_seed", header);
            Assert.Matches("Filesystem created: .* 2027", header);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
