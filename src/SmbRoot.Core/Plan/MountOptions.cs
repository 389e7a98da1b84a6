namespace SmbRoot.Core.Plan;

/// <summary>
/// Splits <c>rootflags=</c> the way mount(8) does: words that are mount(2) flags become bits,
/// everything else goes to the filesystem as its data string.
/// </summary>
public sealed record MountOptions(ulong Flags, string Data)
{
    // include/uapi/linux/mount.h
    public const ulong MS_RDONLY = 1, MS_NOSUID = 2, MS_NODEV = 4, MS_NOEXEC = 8, MS_SYNCHRONOUS = 16,
        MS_DIRSYNC = 128, MS_NOATIME = 1024, MS_NODIRATIME = 2048, MS_RELATIME = 1 << 21,
        MS_STRICTATIME = 1 << 24, MS_LAZYTIME = 1 << 25;

    private static readonly Dictionary<string, (ulong Set, ulong Clear)> Words = new()
    {
        ["ro"] = (MS_RDONLY, 0), ["rw"] = (0, MS_RDONLY),
        ["nosuid"] = (MS_NOSUID, 0), ["suid"] = (0, MS_NOSUID),
        ["nodev"] = (MS_NODEV, 0), ["dev"] = (0, MS_NODEV),
        ["noexec"] = (MS_NOEXEC, 0), ["exec"] = (0, MS_NOEXEC),
        ["sync"] = (MS_SYNCHRONOUS, 0), ["async"] = (0, MS_SYNCHRONOUS),
        ["dirsync"] = (MS_DIRSYNC, 0),
        ["noatime"] = (MS_NOATIME, 0), ["atime"] = (0, MS_NOATIME),
        ["nodiratime"] = (MS_NODIRATIME, 0), ["diratime"] = (0, MS_NODIRATIME),
        ["relatime"] = (MS_RELATIME, 0), ["norelatime"] = (0, MS_RELATIME),
        ["strictatime"] = (MS_STRICTATIME, 0), ["lazytime"] = (MS_LAZYTIME, 0), ["nolazytime"] = (0, MS_LAZYTIME),
        ["defaults"] = (0, 0),
    };

    public static MountOptions Parse(string? rootflags, bool readOnly)
    {
        ulong flags = readOnly ? MS_RDONLY : 0;
        var data = new List<string>();
        foreach (var word in (rootflags ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            if (Words.TryGetValue(word, out var change))
            {
                if (word is "rw" && readOnly) throw new PlanException("rootflags=rw contradicts ro on the command line");
                flags = (flags | change.Set) & ~change.Clear;
            }
            else
            {
                if (word.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
                {
                    throw new PlanException($"rootflags: option '{word}' has a space or control character");
                }
                data.Add(word);
            }
        }
        return new MountOptions(flags, string.Join(',', data));
    }
}
