using Microsoft.Extensions.Logging;
using SmbRoot.Core.Fencing;
using SmbRoot.Core.State;
using SmbRoot.Interop;
using SmbRoot.Logging;
using SmbRoot.Resources;

namespace SmbRoot.Fencing;

/// <summary>
/// Keeps this machine's claim on a read-write image, or stops it from writing: a thread that renews
/// the holder record every <see cref="FencingPolicy.RenewEvery"/>, and a decision on each answer
/// (<see cref="Decisions"/>) that feeds the watchdog after a renewal that reached the server, beside
/// the fence thread (<see cref="OwnershipFence"/>). They are threads because a write to a
/// hard-mounted share blocks for as long as the network is gone, and the fence must not wait for
/// it. Runs from the claim to the end of the final stage: in PID 1, in the handoff helper, then in
/// the final stage.
/// </summary>
public sealed class HolderGuard : IReleasedAtTheEnd
{
    private readonly Holder _holder;
    private readonly Watchdog? _watchdog;
    private readonly ILogger _log;
    private readonly OwnershipFence _fence;
    private readonly string _proofFile;
    private readonly Decisions _decisions;
    private readonly ManualResetEventSlim _stopRenewing = new();
    private string? _failing;

    /// <param name="fence">the fence of this claim, already running from its last proof</param>
    /// <param name="decisions">where each renewal's answer is decided</param>
    /// <param name="proofFile">where each proof is written for whoever keeps the claim next (<see cref="ClaimProof"/>)</param>
    public HolderGuard(Holder holder, Watchdog? watchdog, ILogger log, OwnershipFence fence, Decisions decisions, string proofFile = ClaimProof.Path)
    {
        (_holder, _watchdog, _log, _fence, _decisions, _proofFile) = (holder, watchdog, log, fence, decisions, proofFile);
        WriteProof(fence.LastProof);
        BackgroundWork.Start("holder renewal", log, RenewLoop);
    }

    public Holder Holder => _holder;

    /// <summary>The held file's path in the share, for the final stage (set by the boot).</summary>
    public string? PathInShare { get; init; }

    public Built ForFinalStage => new Built.Claim(_holder.Record.BootId, PathInShare ?? _holder.Path);
    public string Name => $"the claim on {_holder.Path}";

    /// <summary>Ownership for <c>init status</c>.</summary>
    public string Describe()
    {
        string mechanism = _watchdog is null ? "reboot(2)" : $"reboot(2), then softdog at {_fence.Policy.WatchdogTimeout.TotalSeconds:0} s";
        string? failing = Volatile.Read(ref _failing);
        return _fence.Describe(mechanism) + (failing is null ? "" : $"; last renewal failed: {failing}");
    }

    /// <summary>The renewal thread: the share's I/O alone; what follows from each answer is a decision (<see cref="Decisions"/>).</summary>
    private void RenewLoop()
    {
        while (!_stopRenewing.Wait(_fence.Policy.RenewEvery))
        {
            var started = MonotonicClock.Now; // the proof's date: before the read and the write that make it
            string? lost, writtenAgain;
            try
            {
                lock (_holder)
                {
                    if (_stopRenewing.IsSet) continue;
                    lost = _holder.Renew();
                    (writtenAgain, _holder.WrittenAgain) = (_holder.WrittenAgain, null);
                }
            }
            catch (Exception e) when (e is SysException or IOException)
            {
                _decisions.Post(() => RenewalFailed(e.Message));
                continue;
            }
            var took = MonotonicClock.Now - started;
            _decisions.Post(() => Renewed(started, took, lost, writtenAgain));
        }
    }

    /// <summary>
    /// A renewal that took this long is a stall worth saying (one takes a few milliseconds): the share
    /// stopped answering for a while (a server restart, a cluster failover, a cable) and the client's
    /// hard mount waited. A stall longer than a renewal interval and this always meets a renewal.
    /// </summary>
    private static readonly TimeSpan StallWorthSaying = TimeSpan.FromSeconds(1);

    private void RenewalFailed(string error)
    {
        if (Interlocked.Exchange(ref _failing, error) is null)
        {
            _log.Warn($"fencing: renewing the holder record failed: {error}; fencing in {_fence.Left.TotalSeconds:0} s unless it succeeds");
        }
    }

    private void Renewed(TimeSpan startedAt, TimeSpan took, string? lost, string? writtenAgain)
    {
        if (lost is not null)
        {
            _fence.Lost(lost);
            return;
        }
        var left = _fence.Left;
        if (!_fence.Proved(startedAt)) return; // too late: the fence thread ends the machine
        if (took >= StallWorthSaying)
        {
            _log.Say($"fencing: the share answered again after a stall of {took.TotalSeconds:0.0} s (a renewal waited that long: " +
                $"a server restart, a cluster failover or the network); {Math.Max(0, left.TotalSeconds):0} s of the deadline were left");
        }
        _watchdog?.Feed();
        WriteProof(startedAt);
        if (writtenAgain is not null) _log.Warn($"fencing: {writtenAgain}");
        if (Interlocked.Exchange(ref _failing, null) is { } failed) _log.Say($"fencing: the holder record is renewed again (it failed: {failed})");
    }

    /// <summary>The proof for the next keeper of the claim, replaced whole (rename(2)) so a keeper killed mid-write leaves the previous one.</summary>
    private void WriteProof(TimeSpan provedAt)
    {
        try
        {
            string temporary = _proofFile + ".new";
            File.WriteAllText(temporary, new ClaimProof(provedAt, _fence.Policy.Deadline, _watchdog is not null).Serialize());
            File.Move(temporary, _proofFile, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _log.Debug($"fencing: cannot write {_proofFile}: {e.Message}");
        }
    }

    /// <summary>What the handoff helper needs to go on without a gap: inheritable copies of the holder file and the watchdog, and the last proof.</summary>
    public readonly record struct Passed(int HolderFd, int WatchdogFd, TimeSpan ProvedAt);

    /// <summary>
    /// Stops renewing and fencing here and hands the claim over. Nothing waits on the share (a renewal
    /// may be blocked there): the threads end with this process image, at the exec that follows,
    /// and the helper fences from the same proof.
    /// </summary>
    public Passed PassToHelper()
    {
        StopHere();
        return new Passed(_holder.File.DuplicateForChild(), _watchdog?.DuplicateForChild() ?? -1, _fence.LastProof);
    }

    /// <summary>
    /// Stops renewing and fencing here and gives the final stage the record's file, so the exec into
    /// it does not close the file: without a lease that close waits for the server, which may be out
    /// of reach until the final stage has put the network back. The final stage fences from the proof
    /// in <see cref="ClaimProof.Path"/>, then renews and releases the record through the file.
    /// </summary>
    public int PassToFinalStage()
    {
        StopHere();
        return _holder.File.DuplicateForChild();
    }

    private void StopHere()
    {
        _stopRenewing.Set();
        _fence.Stop();
    }

    /// <summary>
    /// Only once nothing writes to the image any more: stops renewing, disarms the watchdog, and
    /// marks the record released. The fence stands until the release is written: a release that
    /// cannot reach the server ends in the fence's reboot, not in a machine that hangs.
    /// </summary>
    public void Release(Deadline deadline)
    {
        _stopRenewing.Set();
        try
        {
            _watchdog?.Release(deadline);
            lock (_holder) _holder.Release(deadline);
        }
        finally
        {
            _fence.Stop();
        }
    }
}
