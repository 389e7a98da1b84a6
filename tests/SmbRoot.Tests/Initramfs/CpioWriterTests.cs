using SmbRoot.Core.Initramfs;
using System.Text;
using Xunit;

namespace SmbRoot.Tests.Initramfs;

public class CpioWriterTests
{
    /// <summary>Reads a newc archive back: (name, mode, size, data) per entry.</summary>
    internal static List<(string Name, uint Mode, byte[] Data, uint Mtime)> Read(byte[] archive)
    {
        var entries = new List<(string, uint, byte[], uint)>();
        int offset = 0;
        while (true)
        {
            Assert.Equal("070701", Encoding.ASCII.GetString(archive, offset, 6));
            uint Field(int i) => Convert.ToUInt32(Encoding.ASCII.GetString(archive, offset + 6 + i * 8, 8), 16);
            uint mode = Field(1), mtime = Field(5), size = Field(6), nameSize = Field(11);
            string name = Encoding.UTF8.GetString(archive, offset + 110, (int)nameSize - 1);
            Assert.Equal(0, archive[offset + 110 + nameSize - 1]);
            offset = Align(offset + 110 + (int)nameSize);
            var data = archive[offset..(offset + (int)size)];
            offset = Align(offset + (int)size);
            if (name == "TRAILER!!!") break;
            entries.Add((name, mode, data, mtime));
        }
        Assert.Equal(archive.Length, offset);
        return entries;
    }

    private static int Align(int n) => (n + 3) & ~3;

    private static byte[] Bytes(CpioWriter writer, uint mtime = 1234)
    {
        using var stream = new MemoryStream();
        writer.Write(stream, mtime);
        return stream.ToArray();
    }

    [Fact]
    public void Writes_sorted_entries_with_parents_first_and_one_timestamp()
    {
        var writer = new CpioWriter();
        writer.AddFile("usr/lib/z.so", [1, 2, 3], 0x1ED);
        writer.AddSymlink("sbin/modprobe", "/init");
        writer.AddCharDevice("dev/console", 5, 1);
        writer.AddFile("init", Encoding.ASCII.GetBytes("#!"));
        var entries = Read(Bytes(writer));
        Assert.Equal(["dev", "dev/console", "init", "sbin", "sbin/modprobe", "usr", "usr/lib", "usr/lib/z.so"], entries.Select(e => e.Name));
        Assert.All(entries, e => Assert.Equal(1234u, e.Mtime));
        Assert.Equal(0x8000u | 0x1ED, entries.Single(e => e.Name == "usr/lib/z.so").Mode);
        Assert.Equal("/init", Encoding.UTF8.GetString(entries.Single(e => e.Name == "sbin/modprobe").Data));
        Assert.Equal(0x2000u | 0x180, entries.Single(e => e.Name == "dev/console").Mode);
    }

    [Fact]
    public void The_same_inputs_in_any_order_give_the_same_bytes()
    {
        var a = new CpioWriter();
        a.AddFile("b", [1]);
        a.AddFile("a/c", [2, 3]);
        var b = new CpioWriter();
        b.AddFile("a/c", [2, 3]);
        b.AddFile("b", [1]);
        Assert.Equal(Bytes(a), Bytes(b));
    }

    [Fact]
    public void A_directory_keeps_its_first_permissions()
    {
        var writer = new CpioWriter();
        writer.AddDirectory("tmp", 0x3FF | 0x200);
        writer.AddFile("tmp/x", []);
        Assert.Equal(0x4000u | 0x3FF | 0x200, Read(Bytes(writer)).Single(e => e.Name == "tmp").Mode);
    }

    [Theory]
    [InlineData("")]
    [InlineData("/")]
    [InlineData("a/../b")]
    [InlineData("a//b")]
    [InlineData("./a")]
    public void Bad_paths_are_refused(string path)
    {
        Assert.Throws<ArgumentException>(() => new CpioWriter().AddFile(path, []));
    }
}
