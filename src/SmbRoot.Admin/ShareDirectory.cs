using SmbRoot.Core.Admin;
using SmbRoot.Core.Fencing;

namespace SmbRoot.Admin;

/// <summary>
/// The share's directory as the tool sees it: on the file server itself, or a share mounted on an
/// administrator's machine (mounted with cache=none, so that a holder record read twice is read
/// from the server twice, not from this machine's page cache).
/// </summary>
public sealed class ShareDirectory(string root)
{
    public string Root { get; } = Path.GetFullPath(root);

    public string FullPath(string pathInShare) => Path.Combine(Root, pathInShare);

    /// <summary>Every file under the directory, with its path from it ('/'-separated).</summary>
    public IEnumerable<ShareFile> Files() =>
        new DirectoryInfo(Root).EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, AttributesToSkip = 0 })
            .Select(f => new ShareFile(Path.GetRelativePath(Root, f.FullName).Replace(Path.DirectorySeparatorChar, '/'), f.Length));

    /// <summary>The first <paramref name="count"/> bytes of a file (fewer when it is shorter).</summary>
    public byte[] ReadHead(string pathInShare, int count)
    {
        using var stream = new FileStream(FullPath(pathInShare), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var buffer = new byte[count];
        int total = 0, read;
        while (total < count && (read = stream.Read(buffer, total, count - total)) > 0) total += read;
        return buffer[..total];
    }

    /// <summary>A holder record's block, read while its holder may be writing it.</summary>
    public byte[] ReadRecord(string recordPath) => ReadHead(recordPath, HolderRecord.Size);

    /// <summary>Replaces a holder record's block in one write, flushed to the disk.</summary>
    public void WriteRecord(string recordPath, HolderRecord record)
    {
        using var stream = new FileStream(FullPath(recordPath), FileMode.Open, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.WriteThrough);
        stream.Write(record.ToBytes());
        stream.Flush(flushToDisk: true);
    }
}
