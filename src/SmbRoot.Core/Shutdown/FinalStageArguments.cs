namespace SmbRoot.Core.Shutdown;

/// <summary>
/// The final stage's command line: <c>shutdown VERB [options]</c>, as systemd-shutdown runs
/// /run/initramfs/shutdown (bootup(7); src/shutdown/shutdown.c passes the verb and its own
/// <c>--log-level</c>, <c>--log-target</c>, <c>--log-color</c>, <c>--log-location</c>,
/// <c>--log-time</c>, <c>--timeout</c> and <c>--exit-code</c>). Our own guard mode passes the verb and,
/// when the boot claimed an image or a layer, <c>--holder-fd=N</c>: the holder record's open file.
/// </summary>
public sealed record FinalStageArguments(ShutdownVerb Verb, TimeSpan Timeout, IReadOnlyList<string> Notes, int? HolderFd = null, bool LoadNext = false)
{
    public const string HolderFdOption = "--holder-fd";

    /// <summary>Guard mode's, with kexec: load the kernel and initramfs named after the image the root's pointer names now.</summary>
    public const string LoadNextOption = "--kexec-next";

    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(90);

    /// <summary>
    /// The longest the final stage waits for something busy. systemd may pass far more (its stop
    /// timeout, or USEC_INFINITY); past this the final stage still releases everything it can and
    /// ends the machine, rather than wait for ever with the image open.
    /// </summary>
    public static readonly TimeSpan LongestTimeout = TimeSpan.FromHours(1);

    private static readonly string[] SystemdOptions = ["--log-level", "--log-target", "--log-color", "--log-location", "--log-time", "--exit-code"];

    public static bool IsVerb(string word) => ShutdownVerbs.Parse(word) is not null;

    /// <summary>
    /// The verb first; it is the only thing that must be right. Every other argument that cannot
    /// be read becomes a note, never a reason to skip a release step.
    /// </summary>
    public static FinalStageArguments Parse(IReadOnlyList<string> args)
    {
        if (args.Count == 0 || !IsVerb(args[0]))
        {
            throw new FormatException("usage: shutdown reboot|poweroff|halt|kexec [systemd's --log-*, --timeout=, --exit-code= options]");
        }
        var notes = new List<string>();
        var verb = ShutdownVerbs.Parse(args[0])!.Value;
        var timeout = DefaultTimeout;
        int? holderFd = null;
        bool loadNext = false;
        for (int i = 1; i < args.Count; i++)
        {
            string arg = args[i];
            string name = arg.Split('=', 2)[0];
            string? value = arg.Contains('=') ? arg.Split('=', 2)[1] : null;
            if (name == "--timeout")
            {
                value ??= i + 1 < args.Count ? args[++i] : null;
                if (ParseTimeout(value) is not { } parsed)
                {
                    notes.Add($"--timeout: '{value}' is not a time span like 90, 90s, 2min, 500ms or infinity; waiting at most {DefaultTimeout.TotalSeconds:0}s");
                }
                else if (parsed > LongestTimeout)
                {
                    timeout = LongestTimeout;
                    notes.Add($"--timeout={value}: waiting at most {LongestTimeout.TotalMinutes:0} minutes for anything busy");
                }
                else
                {
                    timeout = parsed;
                }
            }
            else if (name == LoadNextOption && value is null)
            {
                loadNext = true;
            }
            else if (name == HolderFdOption)
            {
                if (int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int fd) && fd > 2) holderFd = fd;
                else notes.Add($"{HolderFdOption}: '{value}' is not a file descriptor; the holder record is opened again by its path");
            }
            else if (SystemdOptions.Contains(name))
            {
                // Accepted: systemd's logging options do not change what we do.
                if (value is null && (name is "--log-level" or "--log-target" or "--exit-code") && i + 1 < args.Count && !args[i + 1].StartsWith("--")) i++;
            }
            else
            {
                notes.Add($"ignoring unknown argument '{arg}'");
            }
        }
        return new FinalStageArguments(verb, timeout, notes, holderFd, loadNext && verb == ShutdownVerb.Kexec);
    }

    /// <summary>
    /// systemd time spans as systemd-shutdown gets them: plain seconds, or with us, ms, s, min, h;
    /// <c>infinity</c>, and numbers of any size (USEC_INFINITY is 2^64-1 us), as TimeSpan.MaxValue.
    /// </summary>
    public static TimeSpan? ParseTimeout(string? text)
    {
        if (string.IsNullOrEmpty(text)) return null;
        if (text == "infinity") return TimeSpan.MaxValue;
        int split = 0;
        while (split < text.Length && char.IsAsciiDigit(text[split])) split++;
        if (split == 0) return null;
        double ticksPerUnit = text[split..] switch
        {
            "" or "s" or "sec" => TimeSpan.TicksPerSecond,
            "us" or "usec" => TimeSpan.TicksPerMicrosecond,
            "ms" or "msec" => TimeSpan.TicksPerMillisecond,
            "min" or "m" => TimeSpan.TicksPerMinute,
            "h" or "hr" => TimeSpan.TicksPerHour,
            _ => 0,
        };
        if (ticksPerUnit == 0) return null;
        // A double holds every number of digits; anything past TimeSpan's range is "for ever".
        double ticks = double.Parse(text[..split], System.Globalization.CultureInfo.InvariantCulture) * ticksPerUnit;
        return ticks >= TimeSpan.MaxValue.Ticks ? TimeSpan.MaxValue : TimeSpan.FromTicks((long)ticks);
    }
}
