using System.Net;
using System.Text;

namespace SmbRoot.Core.Plan;

/// <summary>
/// Where the root lives: <c>cifs://[user@]server[:port]/share/dir/image.img</c> (an image file,
/// attached through a loop device) or <c>cifs://server/share/dir/</c> (trailing slash: the share
/// directory itself is the root, as in dracut).
/// </summary>
public sealed record CifsRoot(
    string Server,
    IPAddress? ServerAddress,
    int Port,
    string? User,
    string? Domain,
    string Share,
    IReadOnlyList<string> Directory,
    string? ImageName)
{
    public const int DefaultPort = 445;

    /// <summary>
    /// The interface of a link-local server address (<c>cifs://[fe80::1%eth0]/...</c>, or
    /// <c>%25eth0</c> as RFC 6874 writes it in a URL): a name or an index. The boot gives the cifs
    /// client the index, because it reads the scope only as a number
    /// (fs/smb/client/netmisc.c, cifs_convert_address). Null means the root's interface.
    /// </summary>
    public string? ServerScope { get; init; }

    public bool IsImage => ImageName is not null;

    /// <summary>The UNC the kernel's cifs client mounts, as <c>//server/share[/dir...]</c>.</summary>
    public string Unc => "//" + (ServerAddress?.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{Server}]" : Server)
        + "/" + Share + (IsImage || Directory.Count == 0 ? "" : "/" + string.Join('/', Directory));

    /// <summary>The image path relative to the share root (image mode only).</summary>
    public string ImagePathInShare => string.Join('/', Directory.Append(ImageName ?? ""));

    public override string ToString()
    {
        var user = User is null ? "" : (Domain is null ? User : Domain + "\\" + User) + "@";
        var port = Port == DefaultPort ? "" : ":" + Port;
        var path = string.Join('/', new[] { Share }.Concat(Directory));
        var server = ServerAddress?.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6
            ? $"[{Server}{(ServerScope is null ? "" : "%" + ServerScope)}]" : Server;
        return $"cifs://{user}{server}{port}/{path}/{ImageName}";
    }

    private const string PasswordRefused = "root=: a password in the URL is refused, because /proc/cmdline is world-readable; " +
        "put password= in the credentials file (rd.cifs.credentials=, default /etc/smbroot/credentials)";

    public static CifsRoot Parse(string value)
    {
        string shown = Shown(value);
        const string scheme = "cifs://";
        if (!value.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            throw new PlanException($"root={shown}: expected cifs://[user@]server[:port]/share/dir/image.img");
        }
        string rest = value[scheme.Length..];
        int slash = rest.IndexOf('/');
        if (slash < 0)
        {
            throw new PlanException($"root={shown}: no share after the server; expected cifs://server/share/dir/image.img");
        }
        string authority = rest[..slash];
        string path = rest[(slash + 1)..];

        string? user = null, domain = null;
        int at = authority.LastIndexOf('@');
        // "jane:se/cret@server": a '/' in the password ends the authority early, and the rest of the
        // password would be reported (and shown) as a port.
        if (at < 0 && path.Contains('@') && !authority.StartsWith('[') && authority.IndexOf(':') is var portColon and >= 0
            && !int.TryParse(authority[(portColon + 1)..], System.Globalization.NumberStyles.None, null, out _))
        {
            throw new PlanException(PasswordRefused);
        }
        if (at >= 0)
        {
            string userInfo = authority[..at];
            authority = authority[(at + 1)..];
            // Checked before and after percent-decoding: "jane%3Asecret@" is a password too.
            string decodedUserInfo = userInfo.Contains(':') ? userInfo : Decode(userInfo, "user name");
            if (decodedUserInfo.Contains(':')) throw new PlanException(PasswordRefused);
            userInfo = decodedUserInfo;
            if (userInfo.Any(char.IsControl)) throw new PlanException("root=: the user name or domain contains a control character");
            (domain, user) = SplitDomain(userInfo);
            if (user.Length == 0) throw new PlanException($"root={shown}: empty user name before '@'");
            RejectComma(user, "user name");
            if (domain is not null) RejectComma(domain, "domain");
        }

        var (server, address, scope, port) = ParseHostPort(authority, shown);

        if (path.Length == 0)
        {
            throw new PlanException($"root={shown}: no share name after the server; expected cifs://{authority}/share/...");
        }
        bool directoryMode = path.EndsWith('/');
        var segments = path.TrimEnd('/').Split('/');
        var decoded = new List<string>();
        foreach (var segment in segments)
        {
            if (segment.Length == 0) throw new PlanException($"root={shown}: empty path element ('//') in the share path");
            string name = Decode(segment, "path element");
            if (name is "." or "..") throw new PlanException($"root={shown}: '{name}' is not allowed in the share path");
            if (name.IndexOf(':') is var colon and >= 0 && name.IndexOf('@', colon) > colon)
            {
                // user:password@ typed after the share by mistake: refused without echoing it.
                throw new PlanException($"root=: path element {decoded.Count + 1} looks like user:password@ (a ':' before an '@'); " +
                    "a password never goes in root=: put it in the credentials file (rd.cifs.credentials=, default /etc/smbroot/credentials)");
            }
            if (name.IndexOfAny(['/', '\\', '\0']) >= 0 || name.Any(char.IsControl))
            {
                throw new PlanException($"root={shown}: path element '{segment}' decodes to a slash, backslash or control character");
            }
            decoded.Add(name);
        }
        string share = decoded[0];
        if (share.IndexOfAny([':', '*', '?', '"', '<', '>', '|', ',']) >= 0)
        {
            throw new PlanException($"root={shown}: share name '{share}' has a character SMB does not allow in share names");
        }
        if (directoryMode)
        {
            return new CifsRoot(server, address, port, user, domain, share, decoded.Skip(1).ToArray(), null) { ServerScope = scope };
        }
        if (decoded.Count < 2)
        {
            throw new PlanException($"root={shown}: names a share but no image file; add the image's path " +
                $"(cifs://{authority}/{segments[0]}/root.img) or end with '/' to use the share itself as the root");
        }
        return new CifsRoot(server, address, port, user, domain, share, decoded.Skip(1).SkipLast(1).ToArray(), decoded[^1]) { ServerScope = scope };
    }

    /// <summary>
    /// root= as error messages show it: whatever stands before the last '@' (a user, and perhaps a
    /// password typed by mistake, even after the share) is masked, so no message ever echoes a secret.
    /// </summary>
    public static string Shown(string value)
    {
        if (value.Length == 0) return value;
        int start = value.IndexOf("://", StringComparison.Ordinal) is var s and >= 0 ? s + 3 : 0;
        int at = value.LastIndexOf('@');
        return at < start ? value : value[..start] + "***" + value[at..];
    }

    private static (string Server, IPAddress? Address, string? Scope, int Port) ParseHostPort(string authority, string value)
    {
        string host;
        string? portText = null, scope = null;
        if (authority.StartsWith('['))
        {
            int close = authority.IndexOf(']');
            if (close < 0) throw new PlanException($"root={value}: '[' without ']' around an IPv6 address");
            host = authority[1..close];
            string after = authority[(close + 1)..];
            if (after.Length > 0)
            {
                if (!after.StartsWith(':')) throw new PlanException($"root={value}: unexpected '{after}' after ']'");
                portText = after[1..];
            }
            if (host.IndexOf('%') is var percent and >= 0)
            {
                scope = host[(percent + 1)..];
                if (scope.StartsWith("25", StringComparison.Ordinal)) scope = scope[2..];
                host = host[..percent];
                if (scope.Length is 0 or > 15 || !scope.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
                {
                    throw new PlanException($"root={value}: the scope after '%' must name an interface (eth0) or its index");
                }
            }
            if (!IPAddress.TryParse(host, out var v6) || v6.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
            {
                throw new PlanException($"root={value}: '{host}' in brackets is not an IPv6 address");
            }
            if (scope is not null && !v6.IsIPv6LinkLocal)
            {
                throw new PlanException($"root={value}: a scope ('%{scope}') belongs only to a link-local address (fe80::/10), not {host}");
            }
        }
        else
        {
            int colon = authority.IndexOf(':');
            host = colon < 0 ? authority : authority[..colon];
            if (colon >= 0) portText = authority[(colon + 1)..];
        }
        if (host.Length == 0) throw new PlanException($"root={value}: no server name or address");

        int port = DefaultPort;
        if (portText is not null && (!int.TryParse(portText, System.Globalization.NumberStyles.None, null, out port) || port is < 1 or > 65535))
        {
            throw new PlanException($"root={value}: port '{portText}' is not a number from 1 to 65535");
        }

        IPAddress? address = null;
        if (IsIPv4Literal(host))
        {
            // Decimal, as ip= is read: .NET and inet_aton(3) would take a leading zero as octal.
            address = NetworkConfig.ParseDottedDecimal(host) ?? throw new PlanException($"root={value}: '{host}' is not a valid IP address");
        }
        else if (host.Contains(':'))
        {
            if (!IPAddress.TryParse(host, out address)) throw new PlanException($"root={value}: '{host}' is not a valid IP address");
        }
        else if (!IsHostName(host))
        {
            throw new PlanException($"root={value}: '{host}' is neither an IP address nor a valid host name");
        }
        return (host, address, scope, port);
    }

    private static bool IsIPv4Literal(string host) => host.All(c => char.IsAsciiDigit(c) || c == '.');

    private static bool IsHostName(string host) =>
        host.Length <= 253 && host.Split('.').All(label =>
            label.Length is > 0 and <= 63 && label.All(c => char.IsAsciiLetterOrDigit(c) || c == '-')
            && label[0] != '-' && label[^1] != '-');

    private static (string? Domain, string User) SplitDomain(string userInfo)
    {
        int separator = userInfo.IndexOfAny(['\\', '/']);
        return separator < 0 ? (null, userInfo) : (userInfo[..separator], userInfo[(separator + 1)..]);
    }

    private static void RejectComma(string text, string what)
    {
        if (text.Contains(',')) throw new PlanException($"root=: the {what} '{text}' contains a comma, which the cifs mount options cannot carry");
    }

    /// <summary>Percent-decoding (RFC 3986) of one URL element, as UTF-8.</summary>
    public static string Decode(string text, string what)
    {
        if (!text.Contains('%')) return text;
        var bytes = new List<byte>();
        for (int i = 0; i < text.Length; i++)
        {
            if (text[i] == '%')
            {
                if (i + 2 >= text.Length || !Uri.IsHexDigit(text[i + 1]) || !Uri.IsHexDigit(text[i + 2]))
                {
                    throw new PlanException($"root=: bad percent-encoding in {what} '{text}' (expected %XX with two hex digits)");
                }
                bytes.Add(Convert.ToByte(text.Substring(i + 1, 2), 16));
                i += 2;
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(text[i].ToString()));
            }
        }
        try
        {
            return new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(bytes.ToArray());
        }
        catch (DecoderFallbackException)
        {
            throw new PlanException($"root=: {what} '{text}' does not decode to valid UTF-8");
        }
    }
}
