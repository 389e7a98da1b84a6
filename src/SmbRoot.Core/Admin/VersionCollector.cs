namespace SmbRoot.Core.Admin;

/// <summary>
/// Which old versions beside a pointer may go (<c>gc</c>): never the one it names, one another
/// pointer names, one of the last <c>keep</c> it named before (what rollback goes back to), one a
/// machine has held read-write, or one some process has open (a machine still running it). Pure:
/// the caller says what is open.
/// </summary>
public static class VersionCollector
{
    public sealed record Verdict(ImageEntry Image, string? KeptBecause)
    {
        public bool Goes => KeptBecause is null;
    }

    /// <param name="images">the images beside the pointer</param>
    /// <param name="history">the names the pointer named before, oldest first</param>
    /// <param name="isOpen">whether a process on the server has the image open</param>
    public static IReadOnlyList<Verdict> Judge(string pointer, IReadOnlyList<ImageEntry> images, IReadOnlyList<string> history, int keep, Func<string, bool> isOpen)
    {
        var recent = history.Reverse().Distinct().Take(keep).ToHashSet();
        return images.Select(image =>
        {
            string name = image.Path[(image.Path.LastIndexOf('/') + 1)..];
            string? kept = image.NamedBy.Contains(pointer) ? $"{pointer} names it"
                : image.NamedBy.Count > 0 ? $"{string.Join(", ", image.NamedBy)} names it"
                : recent.Contains(name) ? $"one of the last {keep} versions {pointer} named (rollback goes back to them)"
                : image.HasHolderRecord ? "a machine has held it read-write (it has a holder record)"
                : isOpen(image.Path) ? "a process on this server has it open: a machine still runs it"
                : null;
            return new Verdict(image, kept);
        }).ToList();
    }
}
