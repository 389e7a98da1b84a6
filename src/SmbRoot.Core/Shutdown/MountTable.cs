using System.Text;

namespace SmbRoot.Core.Shutdown;

/// <summary>One line of /proc/self/mountinfo (proc(5)); <paramref name="SuperOptions"/> are the filesystem's own (cifs: vers=, seal, ...).</summary>
public sealed record MountEntry(int Id, int ParentId, string MountPoint, string FileSystemType, string Source, string SuperOptions = "");

/// <summary>/proc/self/mountinfo, parsed: the mounts, and the lines that did not parse (each is reported, none stops the rest).</summary>
public sealed record MountTable(IReadOnlyList<MountEntry> Entries, IReadOnlyList<string> Malformed)
{
    /// <summary>
    /// Never throws: a line that does not parse is kept in <see cref="Malformed"/>. The kernel
    /// escapes only space, tab, newline and backslash in the mount point, and in the source only
    /// those too (fs/proc_namespace.c, mangle), so a source with an odd character can still split a line.
    /// </summary>
    public static MountTable Parse(string mountinfo)
    {
        var entries = new List<MountEntry>();
        var malformed = new List<string>();
        foreach (var line in mountinfo.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = line.Split(' ');
            int separator = Array.IndexOf(fields, "-");
            if (fields.Length < 7 || separator < 6 || separator + 2 >= fields.Length
                || !int.TryParse(fields[0], out int id) || !int.TryParse(fields[1], out int parent) || !fields[4].StartsWith('/'))
            {
                malformed.Add(line);
                continue;
            }
            entries.Add(new MountEntry(id, parent, Unescape(fields[4]), fields[separator + 1], Unescape(fields[separator + 2]),
                separator + 3 < fields.Length ? fields[separator + 3] : ""));
        }
        return new MountTable(entries, malformed);
    }

    /// <summary>
    /// The mounts at or below <paramref name="top"/>, each before the mount it sits on. The order
    /// comes from the parent ids, not from the order of the lines: a mount moved with MS_MOVE keeps
    /// its place in the list (fs/namespace.c, attach_recursive_mnt), so it can come before its new parent.
    /// </summary>
    public IReadOnlyList<MountEntry> UnmountOrder(string top)
    {
        string prefix = top.TrimEnd('/') + "/";
        var byId = new Dictionary<int, MountEntry>();
        foreach (var entry in Entries) byId[entry.Id] = entry;
        int Depth(MountEntry entry)
        {
            int depth = 0;
            // Bounded: a corrupt table with a parent cycle must not hang the final stage.
            for (var current = entry; depth <= Entries.Count && byId.TryGetValue(current.ParentId, out var parent) && parent != current; current = parent) depth++;
            return depth;
        }
        return Entries.Where(e => e.MountPoint == top || e.MountPoint.StartsWith(prefix, StringComparison.Ordinal))
            .OrderByDescending(Depth).ThenByDescending(e => e.Id).ToArray();
    }

    /// <summary>
    /// The cifs mounts that are not under another cifs mount. One under a cifs mount is the client's
    /// own, for a DFS link it followed (fs/cifs/cifs_dfs_ref.c): it goes with the share it is under,
    /// never by its own path, whose lookup would wait for the namespace's server.
    /// </summary>
    public IReadOnlyList<MountEntry> OutermostCifs()
    {
        var cifs = Entries.Where(m => m.FileSystemType is "cifs" or "smb3").ToList();
        return cifs.Where(m => !cifs.Any(other => other != m && m.MountPoint.StartsWith(other.MountPoint.TrimEnd('/') + "/", StringComparison.Ordinal))).ToArray();
    }

    /// <summary>mountinfo writes space, tab, newline and backslash as octal escapes (\040).</summary>
    public static string Unescape(string field)
    {
        if (!field.Contains('\\')) return field;
        var bytes = new List<byte>();
        for (int i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && IsOctal(field, i + 1) && IsOctal(field, i + 2) && IsOctal(field, i + 3))
            {
                bytes.Add((byte)((field[i + 1] - '0') * 64 + (field[i + 2] - '0') * 8 + (field[i + 3] - '0')));
                i += 3;
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(field[i].ToString()));
            }
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }

    private static bool IsOctal(string s, int i) => i < s.Length && s[i] is >= '0' and <= '7';
}
