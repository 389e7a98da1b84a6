using System.Globalization;

namespace SmbRoot.Core.Kernel;

/// <summary>/proc/PID/status (proc(5)): "Key:   value kB" lines.</summary>
public static class ProcStatus
{
    /// <summary>The value of <paramref name="key"/> (e.g. VmRSS) in KiB, or null when the line is missing or not a number of kB.</summary>
    public static long? Kib(string status, string key)
    {
        foreach (var line in status.Split('\n'))
        {
            if (!line.StartsWith(key + ":", StringComparison.Ordinal)) continue;
            var words = line[(key.Length + 1)..].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            return words is [var number, "kB"] && long.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out long kib) ? kib : null;
        }
        return null;
    }
}
