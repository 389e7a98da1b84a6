using System.Diagnostics;
using System.IO.Compression;

namespace SmbRoot.Lab;

/// <summary>An initramfs as the kernel reads it: which compression (by its magic bytes), and what it unpacks to.</summary>
public static class InitramfsFile
{
    public static string CompressionOf(string path)
    {
        var magic = new byte[6];
        using (var file = File.OpenRead(path)) file.ReadExactly(magic);
        if (magic.AsSpan().SequenceEqual(new byte[] { 0xFD, (byte)'7', (byte)'z', (byte)'X', (byte)'Z', 0 })) return "xz";
        if (magic.AsSpan(0, 4).SequenceEqual(new byte[] { 0x28, 0xB5, 0x2F, 0xFD })) return "zstd";
        if (magic[0] == 0x1F && magic[1] == 0x8B) return "gzip";
        throw new InvalidDataException($"{path} is neither zstd, xz nor gzip");
    }

    public static long UnpackedSize(string path) => Unpacked(path).LongLength;

    /// <summary>The cpio inside, as the kernel unpacks it.</summary>
    public static byte[] Unpacked(string path)
    {
        string compression = CompressionOf(path);
        var unpacked = new MemoryStream();
        if (compression == "gzip")
        {
            using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
            gzip.CopyTo(unpacked);
            return unpacked.ToArray();
        }
        var tool = Process.Start(new ProcessStartInfo(compression, ["--decompress", "--stdout", path]) { RedirectStandardOutput = true })
            ?? throw new InvalidOperationException($"cannot start {compression}");
        tool.StandardOutput.BaseStream.CopyTo(unpacked);
        tool.WaitForExit();
        return unpacked.ToArray();
    }
}
