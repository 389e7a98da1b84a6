using System.Text;

namespace SmbRoot.Core.Initramfs;

/// <summary>
/// Writes a "newc" cpio archive (Documentation/driver-api/early-userspace/buffer-format.rst), the
/// format the kernel unpacks into its rootfs. Deterministic: entries are sorted by path, parents
/// are created before children, inode numbers count up from 1 and every timestamp is the same,
/// so the same inputs always give the same bytes.
/// </summary>
public sealed class CpioWriter
{
    public const uint ModeDirectory = 0x4000, ModeFile = 0x8000, ModeSymlink = 0xA000, ModeCharDevice = 0x2000;

    private sealed record Entry(uint Mode, byte[] Data, uint DevMajor, uint DevMinor);

    private readonly SortedDictionary<string, Entry> _entries = new(StringComparer.Ordinal);

    public IEnumerable<string> Paths => _entries.Keys;

    public void AddDirectory(string path, uint permissions = 0x1ED /* 0755 */) =>
        Add(path, new Entry(ModeDirectory | permissions, [], 0, 0), replace: true);

    public void AddFile(string path, byte[] content, uint permissions = 0x1A4 /* 0644 */) =>
        Add(path, new Entry(ModeFile | permissions, content, 0, 0), replace: true);

    public void AddSymlink(string path, string target) =>
        Add(path, new Entry(ModeSymlink | 0x1FF, Encoding.UTF8.GetBytes(target), 0, 0), replace: true);

    public void AddCharDevice(string path, uint major, uint minor, uint permissions = 0x180 /* 0600 */) =>
        Add(path, new Entry(ModeCharDevice | permissions, [], major, minor), replace: true);

    private void Add(string path, Entry entry, bool replace)
    {
        path = Normalize(path);
        if (path.Length == 0) throw new ArgumentException("the archive root needs no entry");
        if (path.Split('/').Any(part => part is "" or "." or ".."))
        {
            throw new ArgumentException($"'{path}': empty, '.' or '..' path element");
        }
        int slash = path.LastIndexOf('/');
        if (slash > 0 && !_entries.ContainsKey(path[..slash])) AddDirectory(path[..slash]);
        if (_entries.TryGetValue(path, out var existing) && (existing.Mode & 0xF000) == ModeDirectory
            && (entry.Mode & 0xF000) == ModeDirectory)
        {
            return; // keep the first permissions given for a directory
        }
        if (!replace && _entries.ContainsKey(path)) return;
        _entries[path] = entry;
    }

    private static string Normalize(string path) => path.Trim('/');

    public void Write(Stream output, uint mtime)
    {
        uint inode = 1;
        foreach (var (path, entry) in _entries)
        {
            WriteEntry(output, path, entry, inode++, mtime);
        }
        WriteEntry(output, "TRAILER!!!", new Entry(0, [], 0, 0), 0, 0);
    }

    private static void WriteEntry(Stream output, string name, Entry entry, uint inode, uint mtime)
    {
        byte[] nameBytes = Encoding.UTF8.GetBytes(name + "\0");
        bool isDirectory = (entry.Mode & 0xF000) == ModeDirectory;
        var header = new StringBuilder("070701");
        foreach (uint field in new uint[]
        {
            inode, entry.Mode, 0 /* uid */, 0 /* gid */, isDirectory ? 2u : 1u, mtime, (uint)entry.Data.Length,
            0, 0 /* dev major, minor */, entry.DevMajor, entry.DevMinor, (uint)nameBytes.Length, 0 /* check */,
        })
        {
            header.Append(field.ToString("X8"));
        }
        byte[] headerBytes = Encoding.ASCII.GetBytes(header.ToString());
        output.Write(headerBytes);
        output.Write(nameBytes);
        Pad(output, headerBytes.Length + nameBytes.Length);
        output.Write(entry.Data);
        Pad(output, entry.Data.Length);
    }

    private static void Pad(Stream output, int length)
    {
        int padding = (4 - length % 4) % 4;
        for (int i = 0; i < padding; i++) output.WriteByte(0);
    }
}
