using SmbRoot.Core.Initramfs;
using System.Text;
using SmbRoot.Mkinitramfs;
using Xunit;

namespace SmbRoot.Tests.Initramfs;

public sealed class InitramfsBuilderTests : IDisposable
{
    private readonly string _work = Directory.CreateTempSubdirectory("smbroot-builder-").FullName;

    /// <summary>The time build.sh gives the archive when SOURCE_DATE_EPOCH is not set.</summary>
    private const uint Mtime = 0;

    private InitramfsInputs Inputs(string? credentials = null, ModuleSelection? selection = null, string init = "/bin/true")
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
        return new InitramfsInputs(init, modules, Path.GetDirectoryName(layout), credentials,
            selection ?? new ModuleSelection([], [], ["cifs", "loop"]), Mtime);
    }

    [Theory]
    [InlineData("gzip", new byte[] { 0x1F, 0x8B })]
    [InlineData("xz", new byte[] { 0xFD, (byte)'7', (byte)'z', (byte)'X', (byte)'Z', 0 })]
    [InlineData("zstd", new byte[] { 0x28, 0xB5, 0x2F, 0xFD })]
    public void Two_builds_from_the_same_inputs_are_byte_identical(string compression, byte[] magic)
    {
        string first = Path.Combine(_work, "a.img"), second = Path.Combine(_work, "b.img");
        InitramfsBuilder.Write(InitramfsBuilder.Assemble(Inputs(), TextWriter.Null), first, Mtime, compression);
        // Inputs() writes the files again and mke2fs makes the layer template again: neither the
        // files' new mtimes nor the clock may reach the archive.
        Thread.Sleep(1100);
        InitramfsBuilder.Write(InitramfsBuilder.Assemble(Inputs(), TextWriter.Null), second, Mtime, compression);
        Assert.Equal(File.ReadAllBytes(first), File.ReadAllBytes(second));
        Assert.Equal(magic, File.ReadAllBytes(first)[..magic.Length]);
    }

    [Fact]
    public void The_xz_archive_carries_a_CRC32_check_as_the_kernel_requires()
    {
        string path = Path.Combine(_work, "c.img");
        InitramfsBuilder.Write(InitramfsBuilder.Assemble(Inputs(), TextWriter.Null), path, Mtime, "xz");
        // Stream flags after the 6-byte magic: 0x00 then the check type, 0x01 = CRC32 (xz file format 2.1.1.2).
        Assert.Equal(new byte[] { 0x00, 0x01 }, File.ReadAllBytes(path)[6..8]);
    }

    [Fact]
    public void The_xz_dictionary_the_kernel_allocates_is_not_much_larger_than_the_archive()
    {
        string path = Path.Combine(_work, "d.img");
        var archive = InitramfsBuilder.Assemble(Inputs(), TextWriter.Null);
        InitramfsBuilder.Write(archive, path, Mtime, "xz");
        long unpacked = Bytes(archive).Length;
        // Block header after the 12-byte stream header: size, flags (one filter, no sizes), filter id
        // 0x21 (LZMA2), properties size 1, then the dictionary byte d: (2 | d & 1) << (d / 2 + 11) bytes.
        byte[] header = File.ReadAllBytes(path)[12..17];
        Assert.Equal(new byte[] { 0x00, 0x21, 0x01 }, header[1..4]);
        long dictionary = (2L | (header[4] & 1u)) << (header[4] / 2 + 11);
        Assert.InRange(dictionary, unpacked, unpacked * 3 / 2 + 4096);
        Assert.Equal(12L << 20, InitramfsBuilder.XzDictionary(22L << 20));
    }

    [Fact]
    public void Holds_init_its_libraries_and_the_module_closure_and_no_modprobe()
    {
        var log = new StringWriter();
        var archive = InitramfsBuilder.Assemble(Inputs(), log);
        var paths = archive.Paths.ToHashSet();
        Assert.Contains("init", paths);
        Assert.Contains("dev/console", paths);
        Assert.Contains("lib/x86_64-linux-gnu/libc.so.6", paths);
        Assert.Contains("lib64/ld-linux-x86-64.so.2", paths);
        Assert.Contains("lib/modules/6.1.0-test/kernel/fs/netfs.ko", paths);
        // The kernel would start the init for each module its own start asks for (InitramfsBuilder.Assemble).
        Assert.DoesNotContain("sbin/modprobe", paths);
        Assert.Contains("etc/motd", paths);
        Assert.Contains("module xfs is not in", log.ToString()); // a common one this kernel lacks: a note

        var entries = CpioWriterTests.Read(Bytes(archive)).ToDictionary(e => e.Name);
        Assert.Equal("alias fs-cifs cifs\n", Encoding.UTF8.GetString(entries["lib/modules/6.1.0-test/modules.alias"].Data));
        string retain = Encoding.UTF8.GetString(entries["etc/smbroot/retain"].Data);
        Assert.Contains("/init\n", retain);
        Assert.Contains("/lib/x86_64-linux-gnu/libc.so.6\n", retain);
    }

    [Fact]
    public void A_static_init_is_retained_alone()
    {
        // busybox-static stands in for the init, which is a static-pie binary too (src/SmbRoot/SmbRoot.csproj).
        Assert.Null(new ElfFile(File.ReadAllBytes("/bin/busybox"), "/bin/busybox").Interpreter);
        var archive = InitramfsBuilder.Assemble(Inputs(init: "/bin/busybox"), TextWriter.Null);
        Assert.DoesNotContain(archive.Paths, p => p.StartsWith("lib64/") || p.StartsWith("lib/x86_64-linux-gnu/"));
        var entries = CpioWriterTests.Read(Bytes(archive)).ToDictionary(e => e.Name);
        Assert.Equal("/init\n", Encoding.UTF8.GetString(entries["etc/smbroot/retain"].Data));
    }

    [Fact]
    public void A_module_someone_named_that_the_kernel_lacks_fails_the_build()
    {
        var e = Assert.Throws<FileNotFoundException>(() =>
            InitramfsBuilder.Assemble(Inputs(selection: new ModuleSelection(["e1000x"], ["ext4"], ["cifs"])), TextWriter.Null));
        Assert.Contains("e1000x, ext4", e.Message);
    }

    [Fact]
    public void A_site_s_NICs_and_filesystems_replace_the_common_ones_and_the_rest_stays()
    {
        var site = new ModuleSelection(["virtio_pci", "virtio_net"], ["ext4"], ["btrfs"]).Wanted;
        Assert.Equal(["virtio_pci", "virtio_net", "ext4", .. ModuleSelection.EveryBoot, "btrfs"], site);
        var common = new ModuleSelection([], [], []).Wanted;
        Assert.Equal([.. ModuleSelection.CommonNics, .. ModuleSelection.CommonFileSystems, .. ModuleSelection.EveryBoot], common);
        Assert.Equal(["igb", "ixgbe"], ModuleSelection.SplitList(" igb,,ixgbe ").ToArray());
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
