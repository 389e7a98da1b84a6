namespace SmbRoot.Mkinitramfs;

/// <summary>
/// /etc/smbroot/mkinitramfs.conf, as smbroot-admin reads it: the kernel hook sources it with sh,
/// and its assignments are all a site writes there (NAME=value, the value bare or in quotes).
/// SMBROOT_OPTIONS are smbroot-mkinitramfs options, split on blanks as the hook's sh splits them.
/// A line that is not an assignment is refused with its number rather than guessed at.
/// </summary>
public sealed record SiteConfig(bool Enabled, IReadOnlyList<string> Options)
{
    public const string DefaultPath = "/etc/smbroot/mkinitramfs.conf";

    public static SiteConfig Parse(string text, string path)
    {
        var values = new Dictionary<string, string>();
        string[] lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            int equals = line.IndexOf('=');
            string name = equals > 0 ? line[..equals] : "";
            if (name.Length == 0 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
            {
                throw new FormatException($"{path}:{i + 1}: expected NAME=value, as the kernel hook's sh reads it; found '{line}'");
            }
            values[name] = Unquote(line[(equals + 1)..], path, i + 1);
        }
        return new SiteConfig(
            values.GetValueOrDefault("SMBROOT_ENABLE", "yes") == "yes",
            values.GetValueOrDefault("SMBROOT_OPTIONS", "").Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries));
    }

    private static string Unquote(string value, string path, int line)
    {
        if (value.Length >= 2 && (value[0] == '"' || value[0] == '\'') && value[^1] == value[0]) value = value[1..^1];
        if (value.IndexOfAny(['"', '\'', '$', '`', '\\']) >= 0)
        {
            throw new FormatException($"{path}:{line}: quotes inside a value, $, ` and \\ are not read here; write the options as plain words");
        }
        return value;
    }
}
