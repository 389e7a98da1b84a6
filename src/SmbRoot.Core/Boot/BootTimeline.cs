using System.Globalization;

namespace SmbRoot.Core.Boot;

/// <summary>
/// Where the boot's time went, step by step, in the spirit of systemd-analyze: one line on the
/// console at every boot and in <c>init status</c>. Only the attempt that succeeded is itemised;
/// what failed attempts and their back-off took shows as "retries".
/// </summary>
public sealed class BootTimeline
{
    private readonly List<(string Step, TimeSpan Took)> _steps = [];

    public void Add(string step, TimeSpan took) => _steps.Add((step, took));

    /// <summary><c>booted in 4.2 s: modules 0.9, network 0.3, ...</c>; <paramref name="total"/> runs from /init's start to the system's init.</summary>
    public string Describe(TimeSpan total)
    {
        var parts = _steps.Select(s => $"{s.Step} {Seconds(s.Took)}").ToList();
        var accounted = _steps.Aggregate(TimeSpan.Zero, (sum, s) => sum + s.Took);
        if (total - accounted >= TimeSpan.FromSeconds(0.05)) parts.Add($"other {Seconds(total - accounted)}");
        return $"booted in {Seconds(total)} s: {string.Join(", ", parts)}";
    }

    private static string Seconds(TimeSpan span) => span.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture);
}
