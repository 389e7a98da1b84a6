using Microsoft.Extensions.Logging;
using SmbRoot.Core.Fencing;
using SmbRoot.Core.State;
using SmbRoot.Interop;
using SmbRoot.Logging;
using SmbRoot.Resources;

namespace SmbRoot.Fencing;

/// <summary>
/// Keeps this machine's claim on a read-write image, or stops it from writing. Two threads: one
/// renews the holder record every <see cref="FencingPolicy.RenewEvery"/> and feeds the watchdog
/// after each renewal that reached the server; the other, the fence, looks every half second whether
/// the ownership has lapsed (<see cref="Ownership"/>), and if so fences. They are threads because a
/// write to a hard-mounted share blocks for as long as the network is gone, and the fence must not
/// wait for it. The fence shares with the renewal only <see cref="_gate"/>, which guards the
/// in-memory <see cref="Ownership"/> and is never held across I/O or a log line. Runs from the claim
/// to the end of the final stage: in PID 1, in the handoff helper, then in the final stage.
/// </summary>
public sealed class HolderGuard : IResource
{
    private static readonly TimeSpan CheckEvery = TimeSpan.FromMilliseconds(500);

    private readonly Holder _holder;
    private readonly Watchdog? _watchdog;
    private readonly ILogger _log;
    private readonly Ownership _ownership;
    private readonly string _proofFile;
    private readonly object _gate = new();
    private readonly ManualResetEventSlim _stop = new();
    private string? _failing;

    /// <param name="provedAt">when the ownership was last proved, on <see cref="MonotonicClock"/>: before the write that claimed or renewed the record</param>
    /// <param name="proofFile">where each proof is written for whoever keeps the claim next (<see cref="ClaimProof"/>)</param>
    public HolderGuard(Holder holder, FencingPolicy policy, Watchdog? watchdog, ILogger log, TimeSpan provedAt, string proofFile = ClaimProof.Path)
    {
        (_holder, _watchdog, _log, _proofFile) = (holder, watchdog, log, proofFile);
        _ownership = new Ownership(policy, provedAt);
        WriteProof(provedAt);
        BackgroundWork.Start("holder renewal", log, RenewLoop);
        BackgroundWork.Start("fence", log, FenceLoop);
    }

    public Holder Holder => _holder;
    public string Name => $"the claim on {_holder.Path}";

    /// <summary>Ownership for <c>init status</c>.</summary>
    public string Describe()
    {
        string mechanism = _watchdog is null ? "reboot(2)" : $"reboot(2), then softdog at {_ownership.Policy.WatchdogTimeout.TotalSeconds:0} s";
        lock (_gate) return _ownership.Describe(MonotonicClock.Now, mechanism) + (_failing is null ? "" : $"; last renewal failed: {_failing}");
    }

    private void RenewLoop()
    {
        var every = _ownership.Policy.RenewEvery;
        while (!_stop.Wait(every))
        {
            var started = MonotonicClock.Now; // the proof's date: before the read and the write that make it
            string? lost, wasFailing;
            try
            {
                lock (_holder) lost = _stop.IsSet ? null : _holder.Renew();
            }
            catch (Exception e) when (e is SysException or IOException)
            {
                bool first;
                TimeSpan left;
                lock (_gate)
                {
                    first = _failing is null;
                    _failing = e.Message;
                    left = _ownership.FenceAt - MonotonicClock.Now;
                }
                if (first) _log.Warn($"fencing: renewing the holder record failed: {e.Message}; fencing in {left.TotalSeconds:0} s unless it succeeds");
                continue;
            }
            bool proved;
            lock (_gate)
            {
                if (lost is not null) _ownership.Lost(lost);
                else _ownership.Proved(started, MonotonicClock.Now);
                proved = _ownership.MustFence(MonotonicClock.Now) is null;
                (wasFailing, _failing) = (_failing, null);
            }
            if (!proved) continue; // the fence thread ends the machine
            _watchdog?.Feed();
            string? again;
            lock (_holder) (again, _holder.WrittenAgain) = (_holder.WrittenAgain, null);
            if (again is not null) _log.Warn($"fencing: {again}");
            WriteProof(started);
            if (wasFailing is not null) _log.Say($"fencing: the holder record is renewed again (it failed: {wasFailing})");
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
                why = _ownership.MustFence(MonotonicClock.Now);
                since = MonotonicClock.Now - _ownership.LastProof;
            }
            if (why is not null) Fence.Now(_log, why, since);
        }
    }

    /// <summary>The proof for the next keeper of the claim, replaced whole (rename(2)) so a keeper killed mid-write leaves the previous one.</summary>
    private void WriteProof(TimeSpan provedAt)
    {
        try
        {
            string temporary = _proofFile + ".new";
            File.WriteAllText(temporary, new ClaimProof(provedAt, _watchdog is not null).Serialize());
            File.Move(temporary, _proofFile, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _log.Debug($"fencing: cannot write {_proofFile}: {e.Message}");
        }
    }

    /// <summary>What the handoff helper needs to go on without a gap: inheritable copies of the holder file and the watchdog, and the last proof.</summary>
    public readonly record struct Handed(int HolderFd, int WatchdogFd, TimeSpan ProvedAt);

    /// <summary>
    /// Stops renewing here and hands the claim over. Nothing waits on the share (a renewal may be
    /// blocked there): the threads end with this process image, at the exec that follows.
    /// </summary>
    public Handed HandOff()
    {
        _stop.Set();
        TimeSpan provedAt;
        lock (_gate) provedAt = _ownership.LastProof;
        return new Handed(_holder.File.DuplicateForChild(), _watchdog?.DuplicateForChild() ?? -1, provedAt);
    }

    /// <summary>
    /// Stops renewing here and gives the final stage the record's file, so the exec into it does not
    /// close the file: without a lease that close waits for the server, which may be out of reach
    /// until the final stage has put the network back. The final stage renews and releases the
    /// record through it, from the proof in <see cref="ClaimProof.Path"/>.
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
