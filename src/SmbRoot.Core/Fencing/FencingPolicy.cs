namespace SmbRoot.Core.Fencing;

/// <summary>
/// How a read-write image is kept to one machine when the network breaks (rd.fence.* keys).
/// The holder renews its record every <see cref="RenewEvery"/>; when it has not proved its
/// ownership for <see cref="Deadline"/> it reboots itself, and the watchdog resets it
/// <see cref="WatchdogSlack"/> later if even that does not happen. Another machine takes the
/// image only when it has itself watched the record unchanged, by its own monotonic clock, for the
/// holder's deadline plus <see cref="Margin"/> (<see cref="Takeover"/>).
/// </summary>
public sealed record FencingPolicy(TimeSpan Deadline, TimeSpan Margin, bool Watchdog)
{
    public const int DefaultDeadlineSeconds = 60, DefaultMarginSeconds = 10, MinDeadlineSeconds = 5, MinMarginSeconds = 5, MaxSeconds = 3600;

    /// <summary>The software fence speaks first; the watchdog fires this much later.</summary>
    public static readonly TimeSpan WatchdogSlack = TimeSpan.FromSeconds(2);

    public static FencingPolicy Default { get; } = new(TimeSpan.FromSeconds(DefaultDeadlineSeconds), TimeSpan.FromSeconds(DefaultMarginSeconds), true);

    /// <summary>Five renewals per deadline: a slow server or a lost packet costs one of them, not the machine.</summary>
    public TimeSpan RenewEvery => RenewalInterval(Deadline);

    /// <summary>How often a holder with <paramref name="deadline"/> renews its record.</summary>
    public static TimeSpan RenewalInterval(TimeSpan deadline) => TimeSpan.FromSeconds(Math.Max(1, Math.Floor(deadline.TotalSeconds / 5)));

    public TimeSpan WatchdogTimeout => Deadline + WatchdogSlack;

    /// <summary>The longest another machine waits for a holder that vanished just after renewing.</summary>
    public TimeSpan WorstTakeover => Deadline + Margin;

    public string Describe() =>
        $"renewed every {RenewEvery.TotalSeconds:0} s; a holder that cannot renew for {Deadline.TotalSeconds:0} s reboots itself" +
        (Watchdog ? $" (softdog at {WatchdogTimeout.TotalSeconds:0} s)" : " (no watchdog)") +
        $"; another machine takes the image after {WorstTakeover.TotalSeconds:0} s of silence (rd.fence.deadline=, rd.fence.margin=, rd.fence.watchdog=)";
}
