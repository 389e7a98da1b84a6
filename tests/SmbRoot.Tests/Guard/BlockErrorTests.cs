using SmbRoot.Core.Guard;
using SmbRoot.Core.Kernel;
using Xunit;

namespace SmbRoot.Tests.Guard;

public class BlockErrorTests
{
    [Fact]
    public void A_kmsg_record_gives_its_priority_sequence_time_and_first_line()
    {
        var record = KernelLogRecord.Parse("3,1234,10008905,-;I/O error, dev loop1, sector 2640 op 0x1:(WRITE) flags 0x9800 phys_seg 1 prio class 2\n SUBSYSTEM=block\n DEVICE=b7:1\n");
        Assert.Equal(new KernelLogRecord(3, 1234, 10008905, "I/O error, dev loop1, sector 2640 op 0x1:(WRITE) flags 0x9800 phys_seg 1 prio class 2"), record);
        Assert.Equal("x;y", KernelLogRecord.Parse("6,1,2,c,more;x;y")!.Value.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("no semicolon")]
    [InlineData("6,1;two fields")]
    [InlineData("x,1,2,-;not a number")]
    [InlineData("6,-1,2,-;negative")]
    public void What_is_not_a_kmsg_record_is_null(string text) => Assert.Null(KernelLogRecord.Parse(text));

    [Fact]
    public void The_block_layers_failed_request_names_the_device_the_sector_and_the_operation()
    {
        Assert.Equal(new BlockError("I/O", "loop1", 2640, "WRITE"),
            BlockError.Parse("I/O error, dev loop1, sector 2640 op 0x1:(WRITE) flags 0x9800 phys_seg 1 prio class 2"));
        Assert.Equal(new BlockError("critical target", "loop0", 0, "READ"), BlockError.Parse("critical target error, dev loop0, sector 0 op 0x0:(READ) flags 0x0 phys_seg 1 prio class 0"));
    }

    [Theory]
    [InlineData("Buffer I/O error on dev loop1, logical block 330, lost async page write")]
    [InlineData("EXT4-fs (loop1): Remounting filesystem read-only")]
    [InlineData("I/O error, dev loop1, sector x op 0x1:(WRITE)")]
    public void Other_lines_are_not_a_failed_request(string message) => Assert.Null(BlockError.Parse(message));

    [Fact]
    public void The_console_line_says_what_failed_what_the_filesystem_does_and_what_to_do()
    {
        string text = new BlockError("I/O", "loop1", 2640, "WRITE").Describe("the layer //192.168.77.100/boot/layers/n7.img");
        Assert.StartsWith("image: the share failed a write of /dev/loop1 (the layer //192.168.77.100/boot/layers/n7.img, sector 2640, I/O error)", text);
        Assert.Contains("ext4 aborts its journal and turns read-only", text);
        Assert.Contains("init relinquish --reboot", text);
    }
}
