namespace SmbRoot.Lab;

/// <summary>
/// The Debian mirror this machine's own apt configuration uses, so the lab never names a
/// registry host itself: one-line <c>.list</c> files and deb822 <c>.sources</c> files (sources.list(5)).
/// </summary>
public static class AptSources
{
    public static string MirrorFor(string suite)
    {
        var files = new List<string>();
        if (File.Exists("/etc/apt/sources.list")) files.Add("/etc/apt/sources.list");
        if (Directory.Exists("/etc/apt/sources.list.d"))
        {
            files.AddRange(Directory.GetFiles("/etc/apt/sources.list.d").Where(f => f.EndsWith(".list") || f.EndsWith(".sources")).Order(StringComparer.Ordinal));
        }
        foreach (var file in files)
        {
            string text = File.ReadAllText(file);
            var found = file.EndsWith(".sources") ? FromDeb822(text, suite) : FromOneLine(text, suite);
            if (found is not null) return found;
        }
        throw new InvalidOperationException($"no apt source for the Debian suite {suite} in /etc/apt/sources.list or /etc/apt/sources.list.d; debootstrap needs a mirror");
    }

    /// <summary><c>deb [options] URI SUITE COMPONENTS</c>.</summary>
    public static string? FromOneLine(string text, string suite)
    {
        foreach (var raw in text.Split('\n'))
        {
            string line = raw.Split('#')[0];
            if (line.Contains('[')) line = line[..line.IndexOf('[')] + line[(line.IndexOf(']') + 1)..];
            var words = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (words is ["deb", var uri, var s, ..] && s == suite) return uri;
        }
        return null;
    }

    /// <summary>Stanzas of <c>Types:</c>, <c>URIs:</c>, <c>Suites:</c>, separated by blank lines.</summary>
    public static string? FromDeb822(string text, string suite)
    {
        foreach (var stanza in text.Replace("\r", "").Split("\n\n"))
        {
            var fields = stanza.Split('\n').Where(l => !l.StartsWith('#') && l.Contains(':'))
                .Select(l => (Key: l[..l.IndexOf(':')].Trim(), Value: l[(l.IndexOf(':') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries)))
                .GroupBy(f => f.Key, StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => g.First().Value, StringComparer.OrdinalIgnoreCase);
            if (fields.TryGetValue("Enabled", out var enabled) && enabled is ["no"]) continue;
            if (fields.TryGetValue("Types", out var types) && types.Contains("deb")
                && fields.TryGetValue("Suites", out var suites) && suites.Contains(suite)
                && fields.TryGetValue("URIs", out var uris) && uris.Length > 0)
            {
                return uris[0];
            }
        }
        return null;
    }
}
