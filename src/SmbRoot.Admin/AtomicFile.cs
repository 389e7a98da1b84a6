using SmbRoot.Core.Images;

namespace SmbRoot.Admin;

/// <summary>
/// A file replaced so that a reader (a boot reading a pointer, a boot server serving an initramfs)
/// sees the old one or the new one, never a part: the new content goes into a file beside it
/// (<see cref="PointerHistory.NextSuffix"/>, which the inventory skips), renamed over it (rename(2) is atomic).
/// </summary>
public static class AtomicFile
{
    /// <summary>Has <paramref name="write"/> write the file beside <paramref name="path"/>, then renames it over.</summary>
    public static void Replace(string path, Action<string> write)
    {
        string next = path + PointerHistory.NextSuffix;
        write(next);
        File.Move(next, path, overwrite: true);
    }

    /// <summary>Replaces <paramref name="path"/> with <paramref name="content"/>, flushed to the disk before the rename.</summary>
    public static void Replace(string path, string content) => Replace(path, next =>
    {
        using var stream = new FileStream(next, FileMode.Create, FileAccess.Write, FileShare.None);
        stream.Write(System.Text.Encoding.UTF8.GetBytes(content));
        stream.Flush(flushToDisk: true);
    });
}
