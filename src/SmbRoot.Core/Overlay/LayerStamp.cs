using System.Globalization;
using SmbRoot.Core.Images;

namespace SmbRoot.Core.Overlay;

/// <summary>
/// Which golden image a persistent layer was made on, kept in the layer beside upper/ and work/.
/// An upper layer holds changes against one lower layer; over another image (a new version, or
/// the old name copied over) its files would mix with files they were never made against, so the
/// boot refuses it until rd.overlay.reset starts it afresh. The image is known by its content stamp
/// when it has one (<see cref="ContentStamp"/>: the same on every server that holds a copy, a DFS
/// target's too, where the client's inode numbers are its own), else by the server's file id, size
/// and modification time (<see cref="ImageIdentity"/>); its name is for the messages.
/// </summary>
public sealed record LayerStamp(string Image, ImageIdentity Identity)
{
    public string Format() =>
        "# SmbRoot: the golden image this layer's changes were made on; over another image they are refused (rd.overlay.reset starts afresh)\n" +
        $"image={Image}\nfile_id={Identity.FileId}\nsize={Identity.Size}\nmodified={Identity.Modified.ToString("O", CultureInfo.InvariantCulture)}\n" +
        (Identity.Stamp is { } stamp
            ? $"content_bytes={stamp.ContentBytes}\ncontent_sha256={stamp.Digest}\ncontent_published={stamp.Published.ToString("O", CultureInfo.InvariantCulture)}\n"
            : "");

    /// <summary>Reads a stamp; a damaged one is a <see cref="FormatException"/> naming what is wrong.</summary>
    public static LayerStamp Parse(string text)
    {
        var values = new Dictionary<string, string>();
        foreach (var line in text.Split('\n'))
        {
            if (line.StartsWith('#')) continue;
            int equals = line.IndexOf('=');
            if (equals > 0) values[line[..equals]] = line[(equals + 1)..];
        }
        string Get(string key) => values.TryGetValue(key, out var v) ? v : throw new FormatException($"the layer's stamp has no {key}= line");
        if (!ulong.TryParse(Get("file_id"), NumberStyles.None, CultureInfo.InvariantCulture, out ulong id)) throw new FormatException("the layer's stamp has a file_id= that is not a number");
        if (!long.TryParse(Get("size"), NumberStyles.None, CultureInfo.InvariantCulture, out long size)) throw new FormatException("the layer's stamp has a size= that is not a number");
        if (!DateTimeOffset.TryParseExact(Get("modified"), "O", CultureInfo.InvariantCulture, DateTimeStyles.None, out var modified))
        {
            throw new FormatException("the layer's stamp has a modified= that is not a time");
        }
        return new LayerStamp(Get("image"), new ImageIdentity(id, size, modified) { Stamp = values.ContainsKey("content_sha256") ? Content(Get) : null });
    }

    private static ContentStamp Content(Func<string, string> get)
    {
        string digest = get("content_sha256");
        if (!long.TryParse(get("content_bytes"), NumberStyles.None, CultureInfo.InvariantCulture, out long bytes) || !ContentStamp.IsDigest(digest)
            || !DateTimeOffset.TryParseExact(get("content_published"), "O", CultureInfo.InvariantCulture, DateTimeStyles.None, out var published))
        {
            throw new FormatException("the layer's stamp has a content_ line that is not what publish writes");
        }
        return new ContentStamp(bytes, digest, published);
    }

    /// <summary>Why this layer may not go over <paramref name="now"/>, or null when it was made on that very image.</summary>
    public string? RefusalOver(LayerStamp now) =>
        Identity.Stamp is { } made && now.Identity.Stamp is { } booted
            ? made.SameContent(booted) ? null
                : $"the layer was made on the golden image {Image}, and this boot's golden image {now.Image} holds other content (content stamp {booted.ShortName}, where the layer's image had {made.ShortName})"
        : Identity.ChangedIn(now.Identity) is { } change
            ? $"the layer was made on the golden image {Image}, and this boot's golden image {now.Image} is another file ({change})"
            : null;
}
