using Microsoft.Extensions.Logging;
using SmbRoot.Core.Fencing;
using SmbRoot.Interop;

namespace SmbRoot.Fencing;

/// <summary>
/// The fence thread: its only job is the deadline of the last proof (<see cref="Ownership"/>). It
/// looks every half second and reboots the machine when the ownership has lapsed or was lost. It
/// shares with whoever renews only <see cref="_gate"/>, which guards the in-memory ownership and is
/// never held across I/O or a log line, so nothing that blocks on the share or the console can
/// hold it up. Started before anything that may block on the share: the final stage arms it from
/// the running system's last proof before it so much as reads the record.
/// </summary>
public sealed class OwnershipFence
{
    private static readonly TimeSpan CheckEvery = TimeSpan.FromMilliseconds(500);

    private readonly Ownership _ownership;
    private readonly ILogger _log;
    private readonly object _gate = new();
    private readonly ManualResetEventSlim _stop = new();

    /// <param name="provedAt">the last proof, on <see cref="MonotonicClock"/></param>
    public OwnershipFence(FencingPolicy policy, TimeSpan provedAt, ILogger log)
    {
        (_ownership, _log) = (new Ownership(policy, provedAt), log);
        BackgroundWork.Start("fence", log, Watch);
    }

    public FencingPolicy Policy => _ownership.Policy;

    public TimeSpan LastProof
    {
        get { lock (_gate) return _ownership.LastProof; }
    }

    /// <summary>A renewal begun at <paramref name="startedAt"/> came back now; false when it came too late to count (the fence is final).</summary>
    public bool Proved(TimeSpan startedAt)
    {
        lock (_gate)
        {
            _ownership.Proved(startedAt, MonotonicClock.Now);
            return _ownership.MustFence(MonotonicClock.Now) is null;
        }
    }

    /// <summary>The record names another machine: the fence acts at its next look.</summary>
    public void Lost(string why)
    {
        lock (_gate) _ownership.Lost(why);
    }

    /// <summary>How long until the fence acts without another proof.</summary>
    public TimeSpan Left
    {
        get { lock (_gate) return _ownership.FenceAt - MonotonicClock.Now; }
    }

    public string Describe(string mechanism)
    {
        lock (_gate) return _ownership.Describe(MonotonicClock.Now, mechanism);
    }

    /// <summary>The claim is released, or handed to another process that fences from the same proof.</summary>
    public void Stop() => _stop.Set();

    private void Watch()
    {
        while (!_stop.Wait(CheckEvery))
        {
            string? why;
            TimeSpan since;
            lock (_gate)
            {
                why = _ownership.MustFence(MonotonicClock.Now);
                since = MonotonicClock.Now - _ownership.LastProof;
            }
            if (why is not null) Fence.Now(_log, why, since);
        }
    }
}
