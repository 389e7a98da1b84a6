using System.Text;
using SmbRoot.Core.Fencing;
using Xunit;

namespace SmbRoot.Tests.Fencing;

public class HolderRecordTests
{
    internal static readonly HolderRecord Sample = new(false, "6b1f0c1e-2d3a-4b5c-8d9e-0f1a2b3c4d5e", "52:54:00:77:00:0a", "guest1", "192.168.77.11",
        new DateTimeOffset(2026, 11, 24, 18, 0, 0, TimeSpan.Zero), 41, TimeSpan.FromSeconds(20));

    [Fact]
    public void A_record_fills_one_block_and_reads_back_as_written()
    {
        byte[] block = Sample.ToBytes();
        Assert.Equal(HolderRecord.Size, block.Length);
        var reading = Assert.IsType<HolderRecord.Reading.Valid>(HolderRecord.Read(block));
        Assert.Equal(Sample, reading.Record);
        Assert.StartsWith("smbroot-holder 1\nstate=held\nboot=6b1f0c1e", Encoding.ASCII.GetString(block));
    }

    [Fact]
    public void Values_from_the_network_cannot_add_lines_or_overflow_the_block()
    {
        var hostile = Sample with { HostName = "evil\nstate=released\n" + new string('x', 5000), Address = "" };
        var record = Assert.IsType<HolderRecord.Reading.Valid>(HolderRecord.Read(hostile.ToBytes())).Record;
        Assert.False(record.Released);
        Assert.Equal(64, record.HostName.Length);
        Assert.StartsWith("evilstate=released", record.HostName);
        Assert.Equal("-", record.Address);
    }

    [Fact]
    public void An_empty_or_zeroed_file_has_no_holder()
    {
        Assert.IsType<HolderRecord.Reading.Empty>(HolderRecord.Read([]));
        Assert.IsType<HolderRecord.Reading.Empty>(HolderRecord.Read(new byte[HolderRecord.Size]));
    }

    [Theory]
    [InlineData("hello")]
    [InlineData("smbroot-holder 1\nstate=maybe\nboot=a\nmac=b\nrenewal=1\ndeadline=20\n")]
    [InlineData("smbroot-holder 1\nstate=held\nmac=b\nrenewal=1\ndeadline=20\n")]
    [InlineData("smbroot-holder 1\nstate=held\nboot=a\nmac=b\nrenewal=-1\ndeadline=20\n")]
    [InlineData("smbroot-holder 1\nstate=held\nboot=a\nmac=b\nrenewal=1\ndeadline=0\n")]
    [InlineData("smbroot-holder 1\nstate=held\nboot=a\nmac=b\nrenewal=1\ndeadline=99999999999999999999\n")]
    [InlineData("smbroot-holder 2\nstate=held\nboot=a\nmac=b\nrenewal=1\ndeadline=20\n")]
    public void Anything_else_is_unreadable_and_never_an_exception(string text) =>
        Assert.IsType<HolderRecord.Reading.Unreadable>(HolderRecord.Read(Encoding.ASCII.GetBytes(text)));

    [Fact]
    public void Bytes_that_are_not_text_are_unreadable() =>
        Assert.IsType<HolderRecord.Reading.Unreadable>(HolderRecord.Read([0xff, 0xfe, 0x00, 0x41]));

}
