namespace SmbRoot.Core.Fencing;

/// <summary>
/// The holder's side, pure: when it last proved its ownership, and whether it must fence now.
/// Times are offsets on one monotonic clock; the renewal itself happens elsewhere.
/// </summary>
public sealed class Ownership(FencingPolicy policy, TimeSpan start)
{
    private TimeSpan _lastProof = start;
    private string? _lost;

    public FencingPolicy Policy => policy;
    public TimeSpan LastProof => _lastProof;

    public void Proved(TimeSpan at)
    {
        if (at > _lastProof) _lastProof = at;
    }

    /// <summary>The record no longer names this boot: another machine has taken the image.</summary>
    public void Lost(string why) => _lost ??= why;

    public TimeSpan FenceAt => _lastProof + policy.Deadline;

    /// <summary>Why this machine must stop writing now, or null while its ownership stands.</summary>
    public string? MustFence(TimeSpan now)
    {
        if (_lost is not null) return _lost;
        if (now < FenceAt) return null;
        return $"the image's holder record could not be renewed for {(now - _lastProof).TotalSeconds:0} s " +
            $"(deadline {policy.Deadline.TotalSeconds:0} s): another machine may take the image after {policy.WorstTakeover.TotalSeconds:0} s";
    }

    /// <summary>For <c>init status</c>.</summary>
    public string Describe(TimeSpan now, string mechanism) =>
        $"renewed {(now - _lastProof).TotalSeconds:0.0} s ago; fences at {policy.Deadline.TotalSeconds:0} s without renewal by {mechanism}; " +
        $"another machine may take it after {policy.WorstTakeover.TotalSeconds:0} s of silence";
}
