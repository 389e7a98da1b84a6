using System.Text;
using SmbRoot.Mkinitramfs;
using Xunit;

namespace SmbRoot.Tests.Initramfs;

public sealed class InitramfsBuilderTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("smbroot-builder-").FullName;

    private InitramfsInputs Inputs(string? credentials = null)
    {
        string modules = Path.Combine(_work, "lib/modules/6.1.0-test");
        Directory.CreateDirectory(Path.Combine(modules, "kernel/fs"));
        byte[] fakeModule = File.ReadAllBytes("/bin/true"); // an ELF file without .modinfo
        foreach (var name in new[] { "cifs", "netfs", "loop" }) File.WriteAllBytes(Path.Combine(modules, $"kernel/fs/{name}.ko"), fakeModule);
        File.WriteAllText(Path.Combine(modules, "modules.dep"), "kernel/fs/cifs.ko: kernel/fs/netfs.ko\nkernel/fs/netfs.ko:\nkernel/fs/loop.ko:\n");
        File.WriteAllText(Path.Combine(modules, "modules.alias"), "alias fs-cifs cifs\nalias something-else other\n");
        string layout = Path.Combine(_work, "layout/etc");
        Directory.CreateDirectory(layout);
        File.WriteAllText(Path.Combine(layout, "motd"), "hello\n");
        return new InitramfsInputs("/bin/true", modules, Path.GetDirectoryName(layout), credentials, ["cifs", "loop", "absent"], 1);
    }

    [Fact]
    public void Two_builds_from_the_same_inputs_are_byte_identical()
    {
        string first = Path.Combine(_work, "a.cpio.gz"), second = Path.Combine(_work, "b.cpio.gz");
        InitramfsBuilder.WriteGzip(InitramfsBuilder.Assemble(Inputs(), TextWriter.Null), first, 1);
        Thread.Sleep(1100); // Inputs() writes the files again: their new mtimes must not reach the archive
        InitramfsBuilder.WriteGzip(InitramfsBuilder.Assemble(Inputs(), TextWriter.Null), second, 1);
        Assert.Equal(File.ReadAllBytes(first), File.ReadAllBytes(second));
    }

    [Fact]
    public void Holds_init_its_libraries_the_module_closure_and_the_modprobe_link()
    {
        var log = new StringWriter();
        var archive = InitramfsBuilder.Assemble(Inputs(), log);
        var paths = archive.Paths.ToHashSet();
        Assert.Contains("init", paths);
        Assert.Contains("dev/console", paths);
        Assert.Contains("lib/x86_64-linux-gnu/libc.so.6", paths);
        Assert.Contains("lib64/ld-linux-x86-64.so.2", paths);
        Assert.Contains("lib/modules/6.1.0-test/kernel/fs/netfs.ko", paths);
        Assert.Contains("sbin/modprobe", paths);
        Assert.Contains("etc/motd", paths);
        Assert.Contains("module absent is not in", log.ToString());

        var entries = CpioWriterTests.Read(Bytes(archive)).ToDictionary(e => e.Name);
        Assert.Equal("alias fs-cifs cifs\n", Encoding.UTF8.GetString(entries["lib/modules/6.1.0-test/modules.alias"].Data));
        string retain = Encoding.UTF8.GetString(entries["etc/smbroot/retain"].Data);
        Assert.Contains("/init\n", retain);
        Assert.Contains("/lib/x86_64-linux-gnu/libc.so.6\n", retain);
    }

    [Fact]
    public void Credentials_are_baked_in_readable_by_root_only()
    {
        string credentials = Path.Combine(_work, "credentials");
        File.WriteAllText(credentials, "username=a\npassword=b\n");
        var entries = CpioWriterTests.Read(Bytes(InitramfsBuilder.Assemble(Inputs(credentials), TextWriter.Null))).ToDictionary(e => e.Name);
        Assert.Equal(0x8000u | 0x180, entries["etc/smbroot/credentials"].Mode);
    }

    private static byte[] Bytes(CpioWriter archive)
    {
        using var stream = new MemoryStream();
        archive.Write(stream, 1);
        return stream.ToArray();
    }

    public void Dispose() => Directory.Delete(_work, recursive: true);
}
