namespace SmbRoot.Core.Boot;

/// <summary>
/// How long a failed boot attempt waits before the next: 2 s doubling to 30 s, each wait spread
/// at random over half to one and a half times that, so that a fleet whose server restarted does
/// not come back to it in the same second (a boot storm) and stays spread out attempt after attempt.
/// </summary>
public sealed class RetryBackoff(Func<double> random)
{
    public static readonly TimeSpan First = TimeSpan.FromSeconds(2), Longest = TimeSpan.FromSeconds(30);

    private TimeSpan _base = First;

    /// <summary>The wait before the next attempt; <paramref name="left"/> caps it (what is left of rd.retry).</summary>
    public TimeSpan Next(TimeSpan left)
    {
        double factor = 0.5 + Math.Clamp(random(), 0, 1);
        var wait = TimeSpan.FromSeconds(_base.TotalSeconds * factor);
        _base = TimeSpan.FromSeconds(Math.Min(_base.TotalSeconds * 2, Longest.TotalSeconds));
        return wait < left ? wait : left;
    }

    public void Reset() => _base = First;
}
