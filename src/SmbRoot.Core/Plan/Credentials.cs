namespace SmbRoot.Core.Plan;

/// <summary>
/// A credentials file in mount.cifs format (mount.cifs(8), "credentials=filename"):
/// <c>username=</c>, <c>password=</c> and <c>domain=</c> lines; the value runs to the end of the line.
/// </summary>
public sealed record Credentials(string? UserName, string? Password, string? Domain)
{
    public static readonly Credentials None = new(null, null, null);

    /// <summary>Never prints the password.</summary>
    public override string ToString() =>
        $"user {UserName ?? "(none)"}{(Domain is null ? "" : $", domain {Domain}")}, password {(Password is null ? "none" : "set")}";

    public static Credentials Parse(string text, string path)
    {
        string? user = null, password = null, domain = null;
        var lines = text.Split('\n');
        for (int n = 0; n < lines.Length; n++)
        {
            string line = lines[n].TrimEnd('\r');
            string trimmed = line.TrimStart();
            if (trimmed.Length == 0 || trimmed[0] == '#') continue;
            int equals = trimmed.IndexOf('=');
            string where = $"{path} line {n + 1}";
            if (equals <= 0)
            {
                throw new PlanException($"{where}: expected key=value (username=, password= or domain=)");
            }
            string key = trimmed[..equals].TrimEnd().ToLowerInvariant();
            string value = trimmed[(equals + 1)..];
            switch (key)
            {
                case "username" or "user":
                    Set(ref user, value, "username", where);
                    if (value.Any(char.IsControl)) throw new PlanException($"{where}: the user name contains a control character");
                    if (value.Contains(',')) throw new PlanException($"{where}: the user name contains a comma, which cifs mount options cannot carry");
                    break;
                case "password" or "pass":
                    Set(ref password, value, "password", where);
                    if (value.Contains('\0')) throw new PlanException($"{where}: the password contains a NUL character, which mount(2) cannot carry");
                    break;
                case "domain" or "dom":
                    Set(ref domain, value, "domain", where);
                    if (value.Any(char.IsControl)) throw new PlanException($"{where}: the domain contains a control character");
                    if (value.Contains(',')) throw new PlanException($"{where}: the domain contains a comma, which cifs mount options cannot carry");
                    break;
                default:
                    // Only the key is named: a mistyped "pasword=" line holds the password in its value, and a
                    // key that is not one word ("password dGVzdA==", where base64's '=' ended it) may hold it too.
                    throw new PlanException(IsWord(key)
                        ? $"{where}: unknown key '{key}'; expected username=, password= or domain="
                        : $"{where}: a key that is not one word (not shown: it may hold a secret); expected username=, password= or domain=");
            }
        }
        return new Credentials(user, password, domain);
    }

    /// <summary>A key as mount.cifs's are written: up to 32 ASCII letters, digits, '_' or '-'.</summary>
    private static bool IsWord(string key) => key.Length <= 32 && key.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-');

    private static void Set(ref string? field, string value, string name, string where)
    {
        if (field is not null) throw new PlanException($"{where}: {name}= is given twice");
        field = value;
    }
}
