using System.Diagnostics;
using System.IO.Compression;

namespace SmbRoot.Lab;

/// <summary>An initramfs as the kernel reads it: which compression (by its magic bytes), and how big it is unpacked.</summary>
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

    public static long UnpackedSize(string path)
    {
        string compression = CompressionOf(path);
        if (compression == "gzip")
        {
            using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
            return Count(gzip);
        }
        var tool = Process.Start(new ProcessStartInfo(compression, ["--decompress", "--stdout", path]) { RedirectStandardOutput = true })
            ?? throw new InvalidOperationException($"cannot start {compression}");
        long size = Count(tool.StandardOutput.BaseStream);
        tool.WaitForExit();
        return size;
    }

    private static long Count(Stream stream)
    {
        var buffer = new byte[1 << 16];
        long total = 0;
        int read;
        while ((read = stream.Read(buffer)) > 0) total += read;
        return total;
    }
}
