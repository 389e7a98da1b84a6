using System.Diagnostics;

namespace SmbRoot.Admin;

/// <summary>
/// Progress of long work (a filesystem check, compressing an initramfs) on standard error: once it
/// has taken two seconds, a line each tenth of the way, with the time so far; a line, not a bar
/// redrawn in place, so a log or a script sees the same as a terminal. Quick work says nothing.
/// </summary>
/// <param name="elapsed">the time since the work began (default: a clock started now; the tests give their own)</param>
public sealed class ProgressLine(TextWriter error, string what, Func<TimeSpan>? elapsed = null)
{
    private readonly Func<TimeSpan> _elapsed = elapsed ?? StartClock();
    private int _tenths = -1;
    private int _reminders;

    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(2);

    private static Func<TimeSpan> StartClock()
    {
        var clock = Stopwatch.StartNew();
        return () => clock.Elapsed;
    }

    /// <param name="unit">what the figures count, for the line ("MiB"); empty for a percentage alone</param>
    public void Report(double done, double total, string unit = "")
    {
        if (total <= 0 || _elapsed() < Quiet) return;
        int tenths = (int)Math.Clamp(done * 10 / total, 0, 10);
        if (tenths <= _tenths) return;
        _tenths = tenths;
        string amount = unit.Length == 0 ? "" : $", {done:0} of {total:0} {unit}";
        error.WriteLine($"  {what}: {tenths * 10}%{amount} ({_elapsed().TotalSeconds:0} s)");
    }

    /// <summary>For work that says nothing of how far it is: the time so far, at most every <paramref name="every"/>.</summary>
    public void StillWorking(TimeSpan every)
    {
        if (_elapsed() < every * (_reminders + 1)) return;
        _reminders++;
        error.WriteLine($"  {what}: still working ({_elapsed().TotalSeconds:0} s)");
    }
}
