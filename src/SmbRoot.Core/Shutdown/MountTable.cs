using System.Text;

namespace SmbRoot.Core.Shutdown;

/// <summary>One line of /proc/self/mountinfo (proc(5)).</summary>
public sealed record MountEntry(int Id, int ParentId, string MountPoint, string FileSystemType, string Source);

/// <summary>
/// /proc/self/mountinfo, parsed; and the order in which to unmount a tree. Pure: the caller reads the file.
/// </summary>
public static class MountTable
{
    public static IReadOnlyList<MountEntry> Parse(string mountinfo)
    {
        var entries = new List<MountEntry>();
        foreach (var line in mountinfo.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var fields = line.Split(' ');
            int separator = Array.IndexOf(fields, "-");
            if (fields.Length < 7 || separator < 6 || separator + 2 >= fields.Length
                || !int.TryParse(fields[0], out int id) || !int.TryParse(fields[1], out int parent))
            {
                throw new FormatException($"mountinfo: malformed line '{line}'");
            }
            entries.Add(new MountEntry(id, parent, Unescape(fields[4]), fields[separator + 1], Unescape(fields[separator + 2])));
        }
        return entries;
    }

    /// <summary>
    /// The mounts at or below <paramref name="top"/>, children before their parents: the reverse of
    /// the order they appear in, which is the order they were mounted (fs/proc_namespace.c walks
    /// the namespace's list in mount order), so stacked mounts come off top first.
    /// </summary>
    public static IReadOnlyList<MountEntry> UnmountOrder(IReadOnlyList<MountEntry> entries, string top)
    {
        string prefix = top.TrimEnd('/') + "/";
        return entries.Where(e => e.MountPoint == top || e.MountPoint.StartsWith(prefix, StringComparison.Ordinal))
            .Reverse().ToArray();
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
