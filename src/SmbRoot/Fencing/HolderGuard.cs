using System.Diagnostics;
using Microsoft.Extensions.Logging;
using SmbRoot.Core.Fencing;
using SmbRoot.Interop;
using SmbRoot.Logging;
using SmbRoot.Resources;

namespace SmbRoot.Fencing;

/// <summary>
/// Keeps this machine's claim on a read-write image, or stops it from writing. Two threads: one
/// renews the holder record every <see cref="FencingPolicy.RenewEvery"/> and feeds the watchdog
/// after each renewal that reached the server; the other looks every half second whether the
/// ownership has lapsed (<see cref="Ownership"/>), and if so fences. They are threads because a
/// write to a hard-mounted share blocks for as long as the network is gone, and the fence must not
/// wait for it. Runs from the claim to the final stage: in PID 1, or in the handoff helper.
/// </summary>
public sealed class HolderGuard : IResource
{
    private static readonly TimeSpan CheckEvery = TimeSpan.FromMilliseconds(500);

    private readonly Holder _holder;
    private readonly Watchdog? _watchdog;
    private readonly ILogger _log;
    private readonly Ownership _ownership;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly object _gate = new();
    private readonly ManualResetEventSlim _stop = new();
    private string? _failing;

    /// <param name="sinceProof">how long ago the ownership was last proved (by the process that hands the claim over)</param>
    public HolderGuard(Holder holder, FencingPolicy policy, Watchdog? watchdog, ILogger log, TimeSpan sinceProof = default)
    {
        (_holder, _watchdog, _log) = (holder, watchdog, log);
        _ownership = new Ownership(policy, _clock.Elapsed - sinceProof);
        Start(RenewLoop, "holder renewal");
        Start(FenceLoop, "fence");
    }

    public Holder Holder => _holder;
    public string Name => $"the claim on {_holder.Path}";

    private static void Start(ThreadStart loop, string name) => new Thread(loop) { IsBackground = true, Name = name }.Start();

    /// <summary>Ownership for <c>init status</c>.</summary>
    public string Describe()
    {
        lock (_gate)
        {
            string mechanism = _watchdog is null ? "reboot(2)" : $"reboot(2), then softdog at {_ownership.Policy.WatchdogTimeout.TotalSeconds:0} s";
            return _ownership.Describe(_clock.Elapsed, mechanism) + (_failing is null ? "" : $"; last renewal failed: {_failing}");
        }
    }

    private void RenewLoop()
    {
        var every = _ownership.Policy.RenewEvery;
        while (!_stop.Wait(every))
        {
            try
            {
                string? lost;
                lock (_holder) lost = _stop.IsSet ? null : _holder.Renew();
                lock (_gate)
                {
                    if (lost is not null) _ownership.Lost(lost);
                    else _ownership.Proved(_clock.Elapsed);
                    if (_failing is not null && lost is null) _log.Say($"fencing: the holder record is renewed again (it failed: {_failing})");
                    _failing = null;
                }
                if (lost is null) _watchdog?.Feed();
            }
            catch (Exception e) when (e is SysException or IOException)
            {
                lock (_gate)
                {
                    if (_failing is null) _log.Warn($"fencing: renewing the holder record failed: {e.Message}; fencing in {(_ownership.FenceAt - _clock.Elapsed).TotalSeconds:0} s unless it succeeds");
                    _failing = e.Message;
                }
            }
        }
    }

    private void FenceLoop()
    {
        while (!_stop.Wait(CheckEvery))
        {
            string? why;
            TimeSpan since;
            lock (_gate)
            {
                why = _ownership.MustFence(_clock.Elapsed);
                since = _clock.Elapsed - _ownership.LastProof;
            }
            if (why is not null) Fence.Now(_log, why, since);
        }
    }

    /// <summary>What the handoff helper needs to go on without a gap: inheritable copies of the holder file and the watchdog, and the age of the last proof.</summary>
    public readonly record struct Handed(int HolderFd, int WatchdogFd, TimeSpan SinceProof);

    /// <summary>
    /// Stops renewing here and hands the claim over. Nothing waits on the share (a renewal may be
    /// blocked there): the threads end with this process image, at the exec that follows.
    /// </summary>
    public Handed HandOff()
    {
        _stop.Set();
        TimeSpan sinceProof;
        lock (_gate) sinceProof = _clock.Elapsed - _ownership.LastProof;
        return new Handed(_holder.File.DuplicateForChild(), _watchdog?.DuplicateForChild() ?? -1, sinceProof);
    }

    /// <summary>
    /// Stops renewing here and gives the final stage the record's file, so the exec into it does not
    /// close the file: without a lease that close waits for the server, which may be out of reach
    /// until the final stage has put the network back. The final stage releases the record through it.
    /// </summary>
    public int HandToFinalStage()
    {
        _stop.Set();
        return _holder.File.DuplicateForChild();
    }

    /// <summary>Stops renewing, disarms the watchdog, and marks the record released: only once nothing writes to the image any more.</summary>
    public void Release(Deadline deadline)
    {
        _stop.Set();
        try
        {
            _watchdog?.Release(deadline);
        }
        finally
        {
            lock (_holder) _holder.Release(deadline);
        }
    }
}
