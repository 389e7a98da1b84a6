namespace SmbRoot.Core.Images;

/// <summary>
/// The versions a pointer has named, oldest first, kept beside it (<c>current.history</c>) by the
/// administrator's <c>publish</c>, so that <c>rollback</c> can go back one. One image name per
/// line; the boot never reads it.
/// </summary>
public static class PointerHistory
{
    public const string Suffix = ".history";

    /// <summary>The pointer's next content is written here, then renamed over it: a boot reads the old name or the new one, never half of one.</summary>
    public const string NextSuffix = ".next";

    /// <summary>The names in a history file; blank lines and names that could not be a pointer's are dropped.</summary>
    public static IReadOnlyList<string> Parse(string text) =>
        text.Split('\n').Select(line => line.Trim()).Where(IsName).ToList();

    public static string Format(IEnumerable<string> names) => string.Concat(names.Select(name => name + "\n"));

    private static bool IsName(string name) =>
        name.Length is > 0 and <= 255 && !name.Contains('/') && !name.Contains('\\') && name is not ("." or "..") && !name.Any(char.IsControl);

    /// <summary>
    /// Why <paramref name="image"/> (a name beside the pointer) cannot be published as the pointer's
    /// next version, or null. <paramref name="current"/> is what the pointer names now, if anything.
    /// </summary>
    public static string? PublishRefusal(string pointer, string image, string? current)
    {
        if (!IsName(image)) return $"{image} is not a file name beside {pointer}: a pointer names an image in its own directory";
        if (image == current)
        {
            return $"{pointer} names {image} already. A published image is never changed in place: machines running it read it as they go. " +
                "Copy it, change the copy, and publish the copy";
        }
        return null;
    }
}
