using System.Globalization;

namespace SmbRoot.Core.Plan;

/// <summary>
/// The cifs mount options: validates <c>rd.cifs.opts=</c> and builds the option string that
/// mount.cifs would hand to mount(2) (mount.cifs(8); fs/cifs/fs_context.c).
/// </summary>
public static class CifsOptions
{
    /// <summary>Options with a value, and what a valid value looks like.</summary>
    private static readonly Dictionary<string, Func<string, bool>> ValueOptions = new()
    {
        ["vers"] = v => v is "1.0" or "2.0" or "2.1" or "3" or "3.0" or "3.02" or "3.1.1" or "default",
        ["sec"] = v => v is "none" or "krb5" or "krb5i" or "ntlmssp" or "ntlmsspi" or "ntlmv2" or "ntlmv2i",
        ["cache"] = v => v is "strict" or "none" or "loose" or "singleclient" or "ro",
        ["actimeo"] = IsNumber, ["acregmax"] = IsNumber, ["acdirmax"] = IsNumber,
        ["echo_interval"] = IsNumber, ["rsize"] = IsNumber, ["wsize"] = IsNumber, ["bsize"] = IsNumber,
        ["max_credits"] = IsNumber, ["handletimeout"] = IsNumber, ["max_channels"] = IsNumber,
        ["closetimeo"] = IsNumber,
        ["uid"] = IsNumber, ["gid"] = IsNumber, ["file_mode"] = IsOctal, ["dir_mode"] = IsOctal,
        ["iocharset"] = v => v.Length > 0 && v.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'),
        ["domain"] = v => v.Length > 0, ["username"] = v => v.Length > 0,
        ["netbiosname"] = v => v.Length is > 0 and <= 15, ["servern"] = v => v.Length is > 0 and <= 15,
    };

    private static readonly HashSet<string> FlagOptions =
    [
        "hard", "soft", "seal", "sign", "nosharesock", "noserverino", "serverino", "mfsymlinks",
        "noperm", "perm", "brl", "forcemandatorylock", "resilienthandles", "noresilienthandles",
        "persistenthandles", "nopersistenthandles", "multichannel", "nomultichannel", "nolease",
        "noacl", "cifsacl", "nocase", "ignorecase", "nounix", "unix", "noposix", "posix", "mapposix",
        "nomapposix", "mapchars", "nomapchars", "nohandlecache", "handlecache", "rdma", "fsc",
        "nostrictsync", "strictsync", "domainauto",
    ];

    /// <summary>Options that would put a secret or a conflicting target on the command line.</summary>
    private static readonly Dictionary<string, string> Refused = new()
    {
        ["password"] = "a password on the kernel command line is world-readable in /proc/cmdline; put it in the credentials file",
        ["pass"] = "a password on the kernel command line is world-readable in /proc/cmdline; put it in the credentials file",
        ["password2"] = "a password on the kernel command line is world-readable in /proc/cmdline; put it in the credentials file",
        ["credentials"] = "use rd.cifs.credentials= instead",
        ["cred"] = "use rd.cifs.credentials= instead",
        ["ip"] = "the server address comes from root=",
        ["addr"] = "the server address comes from root=",
        ["unc"] = "the share comes from root=",
        ["port"] = "the port comes from root= (cifs://server:port/...)",
        ["ro"] = "use the kernel's ro/rw keys",
        ["rw"] = "use the kernel's ro/rw keys",
        ["guest"] = "a guest mount is what you get with no credentials file and no user in root=",
        ["user"] = "give the user in root= (cifs://user@server/...) or in the credentials file",
        ["nobrl"] = "the lock that keeps a read-write image to one machine needs byte-range locks on the server",
    };

    private static bool IsNumber(string v) => v.Length is > 0 and <= 10 && v.All(char.IsAsciiDigit);
    private static bool IsOctal(string v) => v.Length is > 0 and <= 5 && v.All(c => c is >= '0' and <= '7');

    /// <summary>Splits and checks <c>rd.cifs.opts=</c>; throws with the offending option named.</summary>
    public static IReadOnlyList<string> ParseExtra(string? value)
    {
        if (string.IsNullOrEmpty(value)) return [];
        var result = new List<string>();
        foreach (var option in value.Split(','))
        {
            if (option.Length == 0) throw new PlanException("rd.cifs.opts: empty option (two commas in a row)");
            int equals = option.IndexOf('=');
            string name = (equals < 0 ? option : option[..equals]).ToLowerInvariant();
            string? optionValue = equals < 0 ? null : option[(equals + 1)..];
            if (Refused.TryGetValue(name, out var why))
            {
                throw new PlanException($"rd.cifs.opts: '{name}' is not accepted here: {why}");
            }
            if (optionValue is not null && optionValue.Any(char.IsControl))
            {
                // A NUL ends mount(2)'s data early and silently drops every option after it (sign, seal, ...).
                throw new PlanException($"rd.cifs.opts: the value of '{name}' contains a control character");
            }
            if (ValueOptions.TryGetValue(name, out var valid))
            {
                if (optionValue is null || !valid(optionValue))
                {
                    throw new PlanException($"rd.cifs.opts: '{option}' has a missing or invalid value");
                }
            }
            else if (FlagOptions.Contains(name))
            {
                if (optionValue is not null) throw new PlanException($"rd.cifs.opts: '{name}' takes no value");
            }
            else
            {
                throw new PlanException($"rd.cifs.opts: unknown cifs option '{name}' (see mount.cifs(8))");
            }
            result.Add(equals < 0 ? name : name + "=" + optionValue);
        }
        if (result.Contains("hard") && result.Contains("soft"))
        {
            throw new PlanException("rd.cifs.opts: both 'hard' and 'soft' given");
        }
        return result;
    }

    /// <summary>
    /// The mount(2) data string. Defaults a storage engineer wants under a root: SMB 3.1.1 (never SMB1
    /// unless vers=1.0 is asked for), hard (I/O waits for the server instead of failing the root),
    /// and signing or sealing as <paramref name="integrity"/> says.
    /// </summary>
    public static string Build(CifsRoot root, System.Net.IPAddress serverAddress, Credentials credentials, IReadOnlyList<string> extra, bool readOnly,
        Integrity integrity)
    {
        static string Name(string option) => option.Split('=')[0];
        var names = extra.Select(Name).ToHashSet();
        var options = new List<string>();
        if (!names.Contains("vers")) options.Add("vers=3.1.1");
        if (!names.Contains("soft") && !names.Contains("hard")) options.Add("hard");
        // sign: the client refuses a session the server does not sign, and signs every request (mount.cifs(8)).
        // seal encrypts the share's tree; the session's own LOGOFF is encrypted only when the server
        // itself demands encryption (fs/cifs/smb2pdu.c, SMB2_logoff), so seal signs as well.
        if (integrity != Integrity.Off && !names.Contains("sign")) options.Add("sign");
        if (integrity == Integrity.Seal && !names.Contains("seal")) options.Add("seal");
        options.Add("ip=" + serverAddress);
        if (root.Port != CifsRoot.DefaultPort) options.Add("port=" + root.Port.ToString(CultureInfo.InvariantCulture));

        string? user = root.User ?? credentials.UserName;
        string? domain = root.Domain ?? credentials.Domain;
        if (user is null && credentials.Password is null)
        {
            options.Add("guest");
        }
        else
        {
            if (user is null) throw new PlanException("the credentials file has a password but no username=, and root= names no user");
            // mount(2) takes the options as one C string: a NUL would cut it, and every option after it would be lost.
            if (user.Any(char.IsControl)) throw new PlanException("the user name contains a control character");
            if (domain is not null && domain.Any(char.IsControl)) throw new PlanException("the domain contains a control character");
            if ((credentials.Password ?? "").Contains('\0')) throw new PlanException("the password contains a NUL character, which mount(2) cannot carry");
            if (!names.Contains("username")) options.Add("username=" + user);
            if (domain is not null && !names.Contains("domain")) options.Add("domain=" + domain);
            // The kernel reads ",," inside the password as a literal comma (fs_context.c, smb3_fs_context_parse_monolithic).
            options.Add("password=" + (credentials.Password ?? "").Replace(",", ",,"));
        }
        options.Add(readOnly ? "ro" : "rw");
        options.AddRange(extra);
        return string.Join(',', options);
    }

    private static readonly HashSet<string> PasswordOptions = ["password", "pass", "password2"];

    /// <summary>
    /// The same options with every password's value replaced, for the log. The options are read
    /// one by one from the start, as the kernel reads them (fs/cifs/fs_context.c): a
    /// password's value runs to the next single comma (",," is a literal comma), any other value
    /// to the next comma. So "password=" inside a user name is a user name, not a password.
    /// </summary>
    public static string Redact(string options)
    {
        var shown = new List<string>();
        int i = 0;
        while (i <= options.Length)
        {
            int equals = options.IndexOfAny(['=', ','], i);
            bool hasValue = equals >= 0 && options[equals] == '=';
            string name = hasValue ? options[i..equals] : options[i..(equals < 0 ? options.Length : equals)];
            if (!hasValue)
            {
                shown.Add(name);
                i += name.Length + 1;
                continue;
            }
            int end = equals + 1;
            bool password = PasswordOptions.Contains(name.ToLowerInvariant());
            while (end < options.Length && options[end] != ',') end++;
            while (password && end + 1 < options.Length && options[end + 1] == ',')
            {
                end += 2;
                while (end < options.Length && options[end] != ',') end++;
            }
            shown.Add(password ? name + "=***" : options[i..end]);
            i = end + 1;
        }
        return string.Join(',', shown);
    }
}
