using SmbRoot.Mkinitramfs;
using Xunit;

namespace SmbRoot.Tests.Initramfs;

public class ElfFileTests
{
    private static byte[] HostBinary() => File.ReadAllBytes("/bin/true");

    [Fact]
    public void Reads_the_interpreter_and_needed_libraries_of_a_real_binary()
    {
        var elf = new ElfFile(HostBinary(), "/bin/true");
        Assert.Equal("/lib64/ld-linux-x86-64.so.2", elf.Interpreter);
        Assert.Contains("libc.so.6", elf.Needed);
    }

    [Fact]
    public void Not_an_elf_file_is_named()
    {
        Assert.Contains("x: not an ELF file", Assert.Throws<FormatException>(() => new ElfFile(new byte[100], "x")).Message);
        Assert.Throws<FormatException>(() => new ElfFile([0x7F, (byte)'E', (byte)'L', (byte)'F'], "short"));
    }

    [Fact]
    public void Corrupted_headers_give_a_format_error_and_nothing_else()
    {
        var original = HostBinary();
        var random = new Random(3);
        for (int i = 0; i < 2000; i++)
        {
            var bytes = (byte[])original.Clone();
            for (int k = 0; k < 4; k++) bytes[random.Next(4, 128)] = (byte)random.Next(256);
            try
            {
                new ElfFile(bytes, "fuzz").ReadKeyValueSection(".modinfo");
            }
            catch (FormatException)
            {
            }
        }
    }

    [Fact]
    public void Truncated_files_give_a_format_error()
    {
        var original = HostBinary();
        foreach (int length in new[] { 0, 16, 63, 64, 65, 200, 1000 })
        {
            var e = Assert.Throws<FormatException>(() => new ElfFile(original[..length], "cut"));
            Assert.Contains("cut", e.Message);
        }
    }
}
