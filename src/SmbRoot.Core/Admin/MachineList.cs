namespace SmbRoot.Core.Admin;

/// <summary>
/// The machines a site makes credentials archives for (smbroot-admin initramfs --machines FILE):
/// one line each, "NAME USER [DOMAIN]", blank lines and # comments skipped. No password: those are
/// read from standard input, never from a file the tool did not write.
/// </summary>
public static class MachineList
{
    public sealed record Machine(string Name, string User, string? Domain);

    public static IReadOnlyList<Machine> Parse(string text, string path)
    {
        var machines = new List<Machine>();
        string[] lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            string[] words = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (words.Length is < 2 or > 3)
            {
                throw new FormatException($"{path}:{i + 1}: expected NAME USER [DOMAIN], found {words.Length} words");
            }
            if (words[0].Any(c => !char.IsAsciiLetterOrDigit(c) && c is not ('-' or '_' or '.')) || words[0].StartsWith('.'))
            {
                throw new FormatException($"{path}:{i + 1}: machine name '{words[0]}' names a file (NAME.cpio): letters, digits, '-', '_' and '.' only");
            }
            if (machines.Any(m => m.Name == words[0])) throw new FormatException($"{path}:{i + 1}: machine {words[0]} is listed twice");
            machines.Add(new Machine(words[0], words[1], words.Length == 3 ? words[2] : null));
        }
        return machines;
    }
}
