using System.Security.Cryptography;
using SmbRoot.Core.Images;

namespace SmbRoot.Admin;

/// <summary>
/// Writes a golden image's <see cref="ContentStamp"/> at publish: the SHA-256 of everything before
/// the stamp (the image, padded with zeros to a 4 KiB multiple) in a 4 KiB block at its end. An
/// image stamped before has that block replaced; one whose stamp already says what it holds is
/// left untouched, so publishing an image machines may run from changes nothing under them.
/// </summary>
public static class ImageStamping
{
    /// <summary>The image's stamp, written unless it was already there; <paramref name="written"/> says which.</summary>
    public static ContentStamp Stamp(string path, DateTimeOffset now, ProgressLine progress, out bool written)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.Read);
        var old = Existing(file);
        long content = old?.ContentBytes ?? (file.Length + ContentStamp.Size - 1) / ContentStamp.Size * ContentStamp.Size;
        file.Position = 0;
        var stamp = Compute(file, content, now, done => progress.Report(done >> 20, content >> 20, "MiB"));
        written = old is null || !old.SameContent(stamp);
        if (!written) return old!;
        file.SetLength(content);
        file.Position = content;
        file.Write(stamp.ToBytes());
        file.Flush(flushToDisk: true);
        return stamp;
    }

    /// <summary>Whether the image ends with a content stamp now (whether or not it still says what the image holds).</summary>
    public static bool IsStamped(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return Existing(file) is not null;
    }

    /// <summary>The stamp the file ends with now, or null; a damaged one counts as none, and is written over.</summary>
    private static ContentStamp? Existing(FileStream file)
    {
        if (file.Length < ContentStamp.Size) return null;
        var tail = new byte[ContentStamp.Size];
        file.Position = file.Length - ContentStamp.Size;
        file.ReadExactly(tail);
        try
        {
            return ContentStamp.Find(file.Length, tail);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>
    /// The stamp for the first <paramref name="contentBytes"/> of <paramref name="content"/>, read
    /// from its position; bytes past its end count as zeros (the padding). <paramref name="progress"/>
    /// is told the bytes done.
    /// </summary>
    public static ContentStamp Compute(Stream content, long contentBytes, DateTimeOffset published, Action<long>? progress = null)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 20];
        for (long done = 0; done < contentBytes;)
        {
            int want = (int)Math.Min(buffer.Length, contentBytes - done);
            int read = content.ReadAtLeast(buffer.AsSpan(0, want), want, throwOnEndOfStream: false);
            buffer.AsSpan(read, want - read).Clear();
            hash.AppendData(buffer, 0, want);
            done += want;
            progress?.Invoke(done);
        }
        return new ContentStamp(contentBytes, Convert.ToHexString(hash.GetHashAndReset()).ToLowerInvariant(), published);
    }
}
