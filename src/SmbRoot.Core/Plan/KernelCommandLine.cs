namespace SmbRoot.Core.Plan;

/// <summary>One word of the kernel command line: <c>key</c> or <c>key=value</c>.</summary>
public readonly record struct CommandLineArgument(string Key, string? Value);

/// <summary>
/// The kernel command line split the way the kernel splits it (kernel/params.c, next_arg):
/// words are separated by spaces, double quotes group spaces into a word and are removed,
/// and everything after a lone <c>--</c> belongs to init.
/// </summary>
public sealed class KernelCommandLine
{
    public IReadOnlyList<CommandLineArgument> Arguments { get; }

    /// <summary>Words after <c>--</c>: the kernel hands them to init as its arguments.</summary>
    public IReadOnlyList<string> InitArguments { get; }

    private KernelCommandLine(IReadOnlyList<CommandLineArgument> arguments, IReadOnlyList<string> initArguments)
    {
        Arguments = arguments;
        InitArguments = initArguments;
    }

    public static KernelCommandLine Parse(string text)
    {
        var arguments = new List<CommandLineArgument>();
        var initArguments = new List<string>();
        bool afterDoubleDash = false;
        int i = 0;
        while (true)
        {
            while (i < text.Length && char.IsWhiteSpace(text[i])) i++;
            if (i >= text.Length) break;
            var (key, value, next) = NextWord(text, i);
            i = next;
            if (afterDoubleDash)
            {
                initArguments.Add(value is null ? key : key + "=" + value);
            }
            else if (key == "--" && value is null)
            {
                afterDoubleDash = true;
            }
            else
            {
                arguments.Add(new CommandLineArgument(key, value));
            }
        }
        return new KernelCommandLine(arguments, initArguments);
    }

    private static (string Key, string? Value, int Next) NextWord(string text, int start)
    {
        bool quoted = false;
        int i = start;
        if (text[i] == '"') { i++; quoted = true; }
        int wordStart = i;
        int equals = -1;
        for (; i < text.Length; i++)
        {
            if (char.IsWhiteSpace(text[i]) && !quoted) break;
            if (equals < 0 && text[i] == '=') equals = i;
            if (text[i] == '"') quoted = !quoted;
        }
        int end = i;
        // A word that opened with a quote loses its closing quote too.
        if (text[start] == '"' && end > wordStart && text[end - 1] == '"') end--;
        if (equals < 0 || equals >= end)
        {
            return (text[wordStart..end], null, i);
        }
        string key = text[wordStart..equals];
        string value = text[(equals + 1)..end];
        if (value.StartsWith('"'))
        {
            value = value[1..];
            if (value.EndsWith('"')) value = value[..^1];
        }
        return (key, value, i);
    }

    /// <summary>The last value given for <paramref name="key"/>, as the kernel and dracut take it.</summary>
    public string? Last(string key)
    {
        for (int i = Arguments.Count - 1; i >= 0; i--)
        {
            if (Arguments[i].Key == key) return Arguments[i].Value ?? "";
        }
        return null;
    }

    public bool Has(string key) => Arguments.Any(a => a.Key == key);

    /// <summary>The position of the last occurrence of any of <paramref name="keys"/>, or -1.</summary>
    public int LastIndexOf(params string[] keys)
    {
        for (int i = Arguments.Count - 1; i >= 0; i--)
        {
            if (keys.Contains(Arguments[i].Key)) return i;
        }
        return -1;
    }
}
