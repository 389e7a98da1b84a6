using System.Text;

namespace SmbRoot.Core.Images;

/// <summary>
/// Versioned images, never replaced in place: root= may name a small pointer file (e.g.
/// golden/current) whose one line is the name of an image beside it (debian-12-20261124.img).
/// Publishing a version is writing a new image and renaming a new pointer over the old one;
/// running machines keep the image they opened, new boots take the new one.
/// </summary>
public static class ImagePointer
{
    /// <summary>A file this small is a pointer; no filesystem image is (the boot refuses images under 64 KiB).</summary>
    public const int MaxBytes = 4096;

    /// <summary>Longest file name SMB and Linux agree on (NAME_MAX).</summary>
    private const int MaxName = 255;

    /// <summary>
    /// The image's path in the share: the name in <paramref name="content"/>, in the directory of
    /// <paramref name="pointerPathInShare"/>. Throws <see cref="FormatException"/> naming the pointer and what is wrong.
    /// </summary>
    public static string Resolve(string pointerPathInShare, ReadOnlySpan<byte> content)
    {
        string Problem(string what) => $"the pointer file {pointerPathInShare} {what}; expected one line with the name of an image file in the same directory";
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(content);
        }
        catch (DecoderFallbackException)
        {
            throw new FormatException(Problem("is not UTF-8 text"));
        }
        string name = text.Trim();
        if (name.Length == 0) throw new FormatException(Problem("is empty"));
        if (name.Contains('\n')) throw new FormatException(Problem("has more than one line"));
        if (name.Any(char.IsControl)) throw new FormatException(Problem("holds control characters"));
        if (name.Contains('/') || name.Contains('\\') || name is "." or "..") throw new FormatException(Problem("names a path, not a file beside it"));
        if (Encoding.UTF8.GetByteCount(name) > MaxName) throw new FormatException(Problem($"names a file longer than {MaxName} bytes"));
        int slash = pointerPathInShare.LastIndexOf('/');
        string resolved = slash < 0 ? name : pointerPathInShare[..(slash + 1)] + name;
        if (resolved == pointerPathInShare) throw new FormatException(Problem("names itself"));
        return resolved;
    }
}
