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
        if (magic[0] == 0x1F && magic[1] == 0x8B) return "gzip";
        throw new InvalidDataException($"{path} is neither xz nor gzip");
    }

    public static long UnpackedSize(string path)
    {
        if (CompressionOf(path) == "gzip")
        {
            using var gzip = new GZipStream(File.OpenRead(path), CompressionMode.Decompress);
            return Count(gzip);
        }
        var xz = Process.Start(new ProcessStartInfo("xz", ["--decompress", "--stdout", path]) { RedirectStandardOutput = true })
            ?? throw new InvalidOperationException("cannot start xz");
        long size = Count(xz.StandardOutput.BaseStream);
        xz.WaitForExit();
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
