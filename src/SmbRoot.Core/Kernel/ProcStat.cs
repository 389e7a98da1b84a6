using System.Globalization;

namespace SmbRoot.Core.Kernel;

/// <summary>/proc/PID/stat (proc(5)): one line of fields, the second of which, the command in parentheses, may hold spaces.</summary>
public static class ProcStat
{
    /// <summary>
    /// Clock ticks per second in /proc: USER_HZ, 100 on every architecture's user ABI
    /// (include/asm-generic/param.h), whatever HZ the kernel runs at.
    /// </summary>
    private const double TicksPerSecond = 100;

    /// <summary>
    /// The time the process has run in user mode (field 14, utime): its own code, not the kernel's
    /// work for it. Null when the line is not one of stat's, or the count is past what a TimeSpan holds.
    /// </summary>
    public static TimeSpan? UserTime(string stat)
    {
        int end = stat.LastIndexOf(')');
        if (end < 0 || end + 2 > stat.Length) return null;
        // After the command come the fields from 3 (state) on: utime, field 14, is the twelfth of them.
        var fields = stat[(end + 2)..].Split(' ');
        return fields.Length > 11 && ulong.TryParse(fields[11], NumberStyles.None, CultureInfo.InvariantCulture, out ulong ticks)
            && ticks / TicksPerSecond < TimeSpan.MaxValue.TotalSeconds
            ? TimeSpan.FromSeconds(ticks / TicksPerSecond)
            : null;
    }
}
