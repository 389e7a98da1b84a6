using SmbRoot.Core.Fencing;
using SmbRoot.Core.Filesystems;
using SmbRoot.Core.Images;

namespace SmbRoot.Core.Admin;

/// <summary>A file in the share's directory tree: its path from the share's root, and its size.</summary>
public sealed record ShareFile(string Path, long Size);

/// <summary>A pointer file and the image it names, or why it names none.</summary>
public sealed record PointerEntry(string Path, string? Target, string? Problem);

/// <summary>
/// An image in the share: golden (some pointer names it, and machines boot it read-only) or
/// read-write (one machine at a time, with a holder record beside it; a persistent layer is one too).
/// </summary>
public sealed record ImageEntry(string Path, long Size, string? FileSystem, IReadOnlyList<string> NamedBy, bool HasHolderRecord)
{
    public bool Golden => NamedBy.Count > 0;

    /// <summary>golden (a pointer names it), read-write (a machine has held it), or unused (neither).</summary>
    public string Kind => Golden ? "golden" : HasHolderRecord ? "read-write" : "unused";

    public string HolderPath => Path + HolderRecord.FileSuffix;
}

/// <summary>
/// What the administrator's <c>status</c> sees in a share: its pointers, images and holder
/// records, told apart the way the boot tells them apart (a file under <see cref="ImagePointer.MaxBytes"/>
/// is a pointer; the filesystem is read from the superblock). Pure: the caller lists and reads.
/// </summary>
public static class ShareInventory
{
    /// <param name="files">every file under the share's directory</param>
    /// <param name="readHead">the first bytes of a file (at most the count asked for)</param>
    public static (IReadOnlyList<PointerEntry> Pointers, IReadOnlyList<ImageEntry> Images) Build(IEnumerable<ShareFile> files, Func<string, int, byte[]> readHead)
    {
        var all = files.OrderBy(f => f.Path, StringComparer.Ordinal).ToList();
        var paths = all.Select(f => f.Path).ToHashSet(StringComparer.Ordinal);
        var pointers = new List<PointerEntry>();
        foreach (var file in all.Where(f => f.Size is > 0 and <= ImagePointer.MaxBytes && !IsSideFile(f.Path)))
        {
            try
            {
                string target = ImagePointer.Resolve(file.Path, readHead(file.Path, ImagePointer.MaxBytes));
                pointers.Add(paths.Contains(target) ? new PointerEntry(file.Path, target, null) : new PointerEntry(file.Path, target, $"names {target}, which is not there"));
            }
            catch (FormatException e)
            {
                pointers.Add(new PointerEntry(file.Path, null, e.Message));
            }
        }
        var images = all.Where(f => f.Size > ImagePointer.MaxBytes && !IsSideFile(f.Path))
            .Select(f => new ImageEntry(f.Path, f.Size, SuperblockDetector.Detect(readHead(f.Path, SuperblockDetector.BytesNeeded)),
                pointers.Where(p => p.Target == f.Path).Select(p => p.Path).ToList(), paths.Contains(f.Path + HolderRecord.FileSuffix)))
            .ToList();
        return (pointers, images);
    }

    /// <summary>A file that belongs to an image or a pointer rather than being one: a holder record, a pointer's history or its next version being written.</summary>
    private static bool IsSideFile(string path) =>
        path.EndsWith(HolderRecord.FileSuffix, StringComparison.Ordinal) || path.EndsWith(PointerHistory.Suffix, StringComparison.Ordinal)
        || path.EndsWith(PointerHistory.NextSuffix, StringComparison.Ordinal);
}
