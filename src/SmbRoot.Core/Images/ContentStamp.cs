using System.Globalization;
using System.Text;

namespace SmbRoot.Core.Images;

/// <summary>
/// What a published golden image is, wherever a byte copy of it lies: written into the image's
/// last 4 KiB by <c>smbroot-admin publish</c> (the filesystem before it never reaches that far). A
/// replica on another server (a DFS target) has another file id and, copied without its times,
/// another modification time; its stamp is the same. The guard takes a file for the image it
/// booted when the stamps agree and so do the first <see cref="HeadBytes"/>, which hold every
/// superblock a mount rewrites (ext4 at 1 KiB, xfs at 0, btrfs at 64 KiB): a copy mounted
/// read-write after it was published differs there though its stamp does not.
/// </summary>
/// <param name="ContentBytes">the image before the stamp: a multiple of 4 KiB; the file is that and <see cref="Size"/></param>
/// <param name="Digest">SHA-256 of those bytes, lower-case hex (computed by the administrator's tool; PID 1 compares it as text)</param>
public sealed record ContentStamp(long ContentBytes, string Digest, DateTimeOffset Published)
{
    public const int Size = 4096;

    /// <summary>How much of an image's start the guard compares besides the stamp.</summary>
    public const int HeadBytes = 128 * 1024;
    private const string Magic = "SMBROOT-CONTENT-STAMP 1\n";

    /// <summary>The stamp's block: its text, then zeros.</summary>
    public byte[] ToBytes()
    {
        var block = new byte[Size];
        Encoding.ASCII.GetBytes(Magic +
            "# written by smbroot-admin publish: the image before this block, as published; a copy elsewhere is the same image only while these agree\n" +
            $"content-bytes={ContentBytes.ToString(CultureInfo.InvariantCulture)}\nsha256={Digest}\n" +
            $"published={Published.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)}\n").CopyTo(block, 0);
        return block;
    }

    /// <summary>
    /// The stamp at the end of a file of <paramref name="fileBytes"/> whose last 4 KiB are
    /// <paramref name="tail"/>: null when there is none (an image never published, or grown since),
    /// a <see cref="FormatException"/> naming what is wrong when the block is a damaged stamp.
    /// </summary>
    public static ContentStamp? Find(long fileBytes, ReadOnlySpan<byte> tail)
    {
        if (tail.Length != Size || !tail.StartsWith(Encoding.ASCII.GetBytes(Magic))) return null;
        int end = tail.IndexOf((byte)0);
        var values = new Dictionary<string, string>();
        foreach (var line in Encoding.ASCII.GetString(tail[..(end < 0 ? Size : end)]).Split('\n'))
        {
            int equals = line.IndexOf('=');
            if (!line.StartsWith('#') && equals > 0) values[line[..equals]] = line[(equals + 1)..];
        }
        string Get(string key) => values.TryGetValue(key, out var v) ? v : throw new FormatException($"the image's content stamp has no {key}= line");
        if (!long.TryParse(Get("content-bytes"), NumberStyles.None, CultureInfo.InvariantCulture, out long content) || content % Size != 0)
        {
            throw new FormatException("the image's content stamp has a content-bytes= that is not a multiple of 4096");
        }
        if (content + Size != fileBytes) return null; // the file was grown or cut since: what it ends with is no longer its stamp
        string digest = Get("sha256");
        if (!IsDigest(digest)) throw new FormatException("the image's content stamp has a sha256= that is not 64 lower-case hex digits");
        if (!DateTimeOffset.TryParseExact(Get("published"), "yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var published))
        {
            throw new FormatException("the image's content stamp has a published= that is not a time");
        }
        return new ContentStamp(content, digest, published);
    }

    /// <summary>Whether <paramref name="text"/> is a digest as a stamp writes it: SHA-256 in 64 lower-case hex digits.</summary>
    public static bool IsDigest(string text) => text.Length == 64 && text.All(char.IsAsciiHexDigitLower);

    /// <summary>Whether <paramref name="other"/> stamps the same content: the same bytes, by their digest.</summary>
    public bool SameContent(ContentStamp other) => ContentBytes == other.ContentBytes && Digest == other.Digest;

    /// <summary>
    /// The first <see cref="HeadBytes"/> of an image as one number (64-bit FNV-1a), so the booted
    /// image's head can be kept and handed on without its bytes. It tells a changed superblock from
    /// the published one; it is no defence against someone who writes the server's images at will.
    /// </summary>
    public static ulong HashHead(ReadOnlySpan<byte> head)
    {
        ulong hash = 14695981039346656037;
        foreach (byte b in head) hash = (hash ^ b) * 1099511628211;
        return hash;
    }

    /// <summary>The stamp's short name for messages: the first 12 hex digits of the digest.</summary>
    public string ShortName => "sha256:" + Digest[..12];
}
