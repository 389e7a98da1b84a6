using System.Globalization;
using System.Net;
using SmbRoot.Core.Plan;

namespace SmbRoot.Core.Overlay;

/// <summary>
/// A persistent layer: <c>rd.overlay=cifs://server/share/clients/{mac}.img</c>, an image file of
/// its own with an ext4 filesystem (overlayfs takes no cifs directory as its upper layer:
/// fs/overlayfs/super.c refuses an upper filesystem without what it needs, such as trusted xattrs
/// and whiteouts). It lives on the root's share, and its name may carry this machine's
/// <c>{mac}</c>, <c>{hostname}</c> or <c>{ip}</c>, filled in once the network is up.
/// </summary>
public sealed record LayerFile(string Server, string Share, string PathTemplate, long? CreateBytes, bool Reset)
{
    /// <summary>The smallest size rd.overlay.create= takes: the template filesystem's (<see cref="LayerTemplate"/>).</summary>
    public const long MinimumBytes = 64L << 20;

    public const long MaximumBytes = 16L << 40;

    private static readonly string[] Placeholders = ["{mac}", "{hostname}", "{ip}"];

    /// <summary>Parses <c>cifs://server/share/path</c> (or <c>//server/share/path</c>); the server and share are checked against root= by the plan.</summary>
    public static LayerFile Parse(string value)
    {
        string rest = value.StartsWith("cifs://", StringComparison.OrdinalIgnoreCase) ? value[7..]
            : value.StartsWith("//", StringComparison.Ordinal) ? value[2..]
            : throw new PlanException("rd.overlay=: expected tmpfs[:size=N%|NM|NG] or cifs://server/share/dir/{mac}.img");
        var parts = rest.Split('/');
        if (parts.Length < 3 || parts.Any(p => p.Length == 0) || parts[0].Contains('@'))
        {
            throw new PlanException("rd.overlay=cifs://: expected cifs://server/share/dir/NAME.img (the server and share of root=, no user, no empty path part)");
        }
        var path = parts[2..];
        if (path.Any(p => p is "." or ".."))
        {
            throw new PlanException("rd.overlay=cifs://: '.' and '..' are refused in the layer's path");
        }
        string template = string.Join('/', path);
        string withoutPlaceholders = Placeholders.Aggregate(template, (text, p) => text.Replace(p, "", StringComparison.Ordinal));
        if (withoutPlaceholders.IndexOfAny(['{', '}', '\\', ':', '*', '?', '"', '<', '>', '|']) >= 0 || template.Any(char.IsControl))
        {
            throw new PlanException($"rd.overlay=cifs://: the layer's path may hold {string.Join(", ", Placeholders)} and no other braces, and none of \\ : * ? \" < > | (names SMB refuses)");
        }
        return new LayerFile(parts[0], parts[1], template, null, false);
    }

    /// <summary>rd.overlay.create=: 512M, 8G, 1T; from <see cref="MinimumBytes"/> to <see cref="MaximumBytes"/>.</summary>
    public static long ParseCreateSize(string text)
    {
        int? shift = text.Length < 2 ? null : char.ToLowerInvariant(text[^1]) switch { 'm' => 20, 'g' => 30, 't' => 40, _ => null };
        // The count is checked before the shift: 16777217T shifted by 40 wraps to 1 TiB.
        if (shift is int bits && long.TryParse(text[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out long n) && n is > 0 && n <= MaximumBytes >> bits)
        {
            long bytes = n << bits;
            if (bytes >= MinimumBytes) return bytes;
        }
        throw new PlanException($"rd.overlay.create={text}: expected a size from 64M to 16T, such as 512M, 8G or 1T");
    }

    /// <summary>
    /// The layer's path in the share for this machine: MAC as 52-54-00-12-34-56, an IPv6 address
    /// as fd77--5 (':' is not allowed in SMB names).
    /// </summary>
    public string PathFor(byte[] mac, string? hostName, IPAddress address)
    {
        string path = PathTemplate.Replace("{mac}", string.Join('-', mac.Select(b => b.ToString("x2", CultureInfo.InvariantCulture))), StringComparison.Ordinal)
            .Replace("{ip}", address.ToString().Replace(':', '-'), StringComparison.Ordinal);
        if (path.Contains("{hostname}", StringComparison.Ordinal))
        {
            if (string.IsNullOrEmpty(hostName) || hostName.IndexOfAny(['/', '\\', ':', '*', '?', '"', '<', '>', '|']) >= 0 || hostName is "." or "..")
            {
                throw new PlanException($"rd.overlay=: the layer's name uses {{hostname}}, and this machine has {(string.IsNullOrEmpty(hostName) ? "no host name (none from DHCP or ip=)" : $"the host name '{hostName}', which cannot be a file name")}");
            }
            path = path.Replace("{hostname}", hostName, StringComparison.Ordinal);
        }
        return path;
    }

    public string Describe() =>
        $"persistent layer //{Server}/{Share}/{PathTemplate} (ext4 in an image file, locked and fenced like a read-write root; " +
        (CreateBytes is { } size ? $"created at {Size(size)} when missing" : "never created: it must exist") + (Reset ? "; started afresh at this boot" : "") + ")";

    private static string Size(long bytes) => bytes % (1L << 40) == 0 ? $"{bytes >> 40} TiB" : bytes % (1L << 30) == 0 ? $"{bytes >> 30} GiB" : $"{bytes >> 20} MiB";
}
