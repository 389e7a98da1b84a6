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
        if (interactive) error.Write($"password for {user} (machine {name}; not shown): ");
        string? password = interactive ? ReadHidden() : input.ReadLine();
        if (interactive) error.WriteLine();
        if (string.IsNullOrEmpty(password))
        {
            error.WriteLine("credentials: no password on standard input (one line)");
            return 1;
        }
        string text = $"username={user}\npassword={password}\n" + (domain is null ? "" : $"domain={domain}\n");
        try
        {
            Credentials.Parse(text, PathInInitramfs); // the boot's own reading of it
        }
        catch (PlanException e)
        {
            error.WriteLine($"credentials: {e.Message}");
            return 1;
        }
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
        output.WriteLine($"credentials: {outputPath} (mode 0600) holds {name}'s login as {user}; load it after the initramfs (initrd ... {Path.GetFileName(outputPath)})");
        return 0;
    }

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
