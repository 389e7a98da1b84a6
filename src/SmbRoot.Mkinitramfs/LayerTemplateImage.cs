using System.Diagnostics;
using SmbRoot.Core.Overlay;

namespace SmbRoot.Mkinitramfs;

/// <summary>
/// The empty ext4 filesystem a persistent overlay layer starts as (<see cref="LayerTemplate"/>),
/// made by the host's mke2fs. Reproducible: the host's mke2fs.conf is ignored and every feature is
/// named, the time is the archive's (E2FSPROGS_FAKE_TIME), the UUID and hash seed are fixed (the
/// boot gives each layer a UUID of its own). Features are the ones Debian 12's mke2fs gives ext4,
/// plus metadata_csum_seed, so the UUID can change without rewriting every checksum.
/// </summary>
public static class LayerTemplateImage
{
    private const string Features = "has_journal,ext_attr,resize_inode,dir_index,filetype,extent,64bit,flex_bg,sparse_super,large_file,huge_file,dir_nlink,extra_isize,metadata_csum,metadata_csum_seed";
    private const string FixedUuid = "00000000-0000-4000-8000-000000000000";

    public static byte[] Make(uint mtime)
    {
        // A name of its own for each call: two builds in one process (the tests run in parallel) must not share the file.
        string file = Path.Combine(Path.GetTempPath(), $"smbroot-layer-template-{Guid.NewGuid():N}.img");
        try
        {
            using (var image = File.Create(file)) image.SetLength(LayerFile.MinimumBytes);
            var start = new ProcessStartInfo(Mke2fs(), [
                "-q", "-F", "-b", "4096", "-I", "256", "-i", "16384", "-m", "0", "-J", "size=16", "-L", "smbroot-layer", "-U", FixedUuid,
                "-E", $"lazy_itable_init=1,lazy_journal_init=1,root_owner=0:0,hash_seed={FixedUuid}", "-O", Features, file])
            {
                RedirectStandardOutput = true, RedirectStandardError = true,
            };
            start.Environment["MKE2FS_CONFIG"] = "/dev/null";
            // e2fsprogs takes a fake time of 0 for none and writes the clock instead (fs->now in
            // lib/ext2fs), so the default build time, 0, becomes 1 second here.
            uint fakeTime = Math.Max(mtime, 1);
            start.Environment["E2FSPROGS_FAKE_TIME"] = fakeTime.ToString(System.Globalization.CultureInfo.InvariantCulture);
            using var mke2fs = Process.Start(start) ?? throw new IOException("cannot start mke2fs (Debian: e2fsprogs)");
            var errors = mke2fs.StandardError.ReadToEndAsync();
            string output = mke2fs.StandardOutput.ReadToEnd();
            mke2fs.WaitForExit();
            if (mke2fs.ExitCode != 0) throw new IOException($"mke2fs exited with {mke2fs.ExitCode}: {output}{errors.Result}");
            return LayerTemplate.Pack(File.ReadAllBytes(file));
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>mke2fs is in /sbin, which a user's PATH may lack.</summary>
    private static string Mke2fs() =>
        new[] { "/usr/sbin/mke2fs", "/sbin/mke2fs" }.FirstOrDefault(File.Exists)
        ?? throw new FileNotFoundException("mke2fs is not installed (Debian: e2fsprogs); the initramfs needs it for the persistent overlay layer's template");
}
