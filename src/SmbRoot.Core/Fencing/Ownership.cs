namespace SmbRoot.Core.Fencing;

/// <summary>
/// The holder's side, pure: when it last proved its ownership, and whether it must fence now.
/// Times are offsets on this machine's monotonic clock; the renewal itself happens elsewhere.
/// A proof is dated when the read that began its renewal was sent, never when the write came
/// back: the write may have reached the server long before it returned (a slow flush, a write
/// resent after a reconnect), and a waiting machine counts from what it saw on the server.
/// Once the deadline has passed the fence is final: a renewal that returns late revives nothing.
/// </summary>
public sealed class Ownership(FencingPolicy policy, TimeSpan proofAt)
{
    private TimeSpan _lastProof = proofAt;
    private string? _lost;

    public FencingPolicy Policy => policy;
    public TimeSpan LastProof => _lastProof;

    /// <param name="startedAt">when the renewal that succeeded was begun</param>
    /// <param name="now">when it returned</param>
    public void Proved(TimeSpan startedAt, TimeSpan now)
    {
        if (now >= FenceAt)
        {
            _lost ??= $"a renewal came back {(now - _lastProof).TotalSeconds:0} s after the last proof, past the deadline of {policy.Deadline.TotalSeconds:0} s";
        }
        else if (startedAt > _lastProof)
        {
            _lastProof = startedAt;
        }
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
