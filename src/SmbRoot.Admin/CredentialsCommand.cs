using SmbRoot.Core.Initramfs;
using SmbRoot.Core.Plan;

namespace SmbRoot.Admin;

/// <summary>
/// <c>credentials NAME --user USER --output FILE</c>: a machine's own credentials archive, a small
/// newc cpio holding only /etc/smbroot/credentials (mode 0600), to load after the site's
/// initramfs (a second initrd line; the kernel unpacks one archive over the other,
/// Documentation/driver-api/early-userspace/buffer-format.rst). The password is read from standard
/// input, never from the command line, and never written anywhere but the archive, itself 0600.
/// </summary>
public static class CredentialsCommand
{
    public const string PathInInitramfs = "etc/smbroot/credentials";

    public static int Run(string name, string? user, string? domain, string? outputPath, TextReader input, bool interactive, TextWriter output, TextWriter error)
    {
        if (user is null || outputPath is null) throw new ArgumentException("credentials needs --user USER and --output FILE");
        if (ReadPassword(name, user, input, interactive, error) is not { } password)
        {
            error.WriteLine("credentials: no password on standard input (one line)");
            return 1;
        }
        if (Problem(user, domain, password) is { } problem)
        {
            error.WriteLine($"credentials: {problem}");
            return 1;
        }
        Write(user, domain, password, outputPath);
        output.WriteLine($"credentials: {outputPath} (mode 0600) holds {name}'s login as {user}; load it after the initramfs (initrd ... {Path.GetFileName(outputPath)})");
        return 0;
    }

    /// <summary>One password: at a terminal asked for and not shown, otherwise the next line of input; null when there is none.</summary>
    public static string? ReadPassword(string name, string user, TextReader input, bool interactive, TextWriter error)
    {
        if (interactive) error.Write($"password for {user} (machine {name}; not shown): ");
        string? password = interactive ? ReadHidden() : input.ReadLine();
        if (interactive) error.WriteLine();
        return string.IsNullOrEmpty(password) ? null : password;
    }

    /// <summary>What the boot's own parser finds wrong with this login, or null.</summary>
    public static string? Problem(string user, string? domain, string password)
    {
        try
        {
            Credentials.Parse(Text(user, domain, password), PathInInitramfs);
            return null;
        }
        catch (PlanException e)
        {
            return e.Message;
        }
    }

    /// <summary>Writes the archive, mode 0600, for a login <see cref="Problem"/> found nothing wrong with.</summary>
    public static void Write(string user, string? domain, string password, string outputPath)
    {
        string text = Text(user, domain, password);
        var archive = new CpioWriter();
        archive.AddDirectory("etc");
        archive.AddDirectory("etc/smbroot", 0x1C0 /* 0700 */);
        archive.AddFile(PathInInitramfs, System.Text.Encoding.UTF8.GetBytes(text), 0x180 /* 0600 */);
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite };
        using (var file = new FileStream(outputPath, options))
        {
            archive.Write(file, 0);
        }
        File.SetUnixFileMode(outputPath, UnixFileMode.UserRead | UnixFileMode.UserWrite); // an existing file keeps its mode otherwise
    }

    private static string Text(string user, string? domain, string password) =>
        $"username={user}\npassword={password}\n" + (domain is null ? "" : $"domain={domain}\n");

    private static string ReadHidden()
    {
        var text = new System.Text.StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter) return text.ToString();
            if (key.Key == ConsoleKey.Backspace) { if (text.Length > 0) text.Length--; }
            else text.Append(key.KeyChar);
        }
    }
}
