using SmbRoot.Core.Fencing;

namespace SmbRoot.Lab.Simulation;

/// <summary>A known-wrong variant of the protocol, to show that the simulation's checker can fail.</summary>
public enum Flaw
{
    None,

    /// <summary>The waiter counts the record's age by the server's write time, which Samba holds still while the file is open (the first finding of issue 22).</summary>
    ServerAgeCounts,

    /// <summary>The holder dates a proof when its write returned, not before it was sent (the second finding).</summary>
    ProofDatedAtReturn,

    /// <summary>A claim is neither bounded in time nor confirmed (<see cref="Core.Fencing.ClaimRule"/>): two claims that meet while the lock is lost both stand.</summary>
    UnconfirmedClaim,

    /// <summary>The fence stops when the release begins, not when the released record is written: a release held up by a cut lands over the next holder's claim (seed 2983).</summary>
    FenceStopsAtRelease,

    /// <summary>A clean shutdown does not mark the record released: the next machine waits as for a crash, late but safe.</summary>
    ReleaseUnmarked,
}

/// <summary>The world one simulated run draws from.</summary>
public sealed record SimulationSettings
{
    public FencingPolicy Policy { get; init; } = new(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(5), Watchdog: true);
    public int Machines { get; init; } = 3;
    public long DurationMs { get; init; } = 180_000;

    /// <summary>Cables cut per machine and run, and the longest cut.</summary>
    public int MostCuts { get; init; } = 3;
    public long LongestCutMs { get; init; } = 30_000;

    /// <summary>
    /// The share of requests a slow server holds before it serves them, up to <see cref="SlowestMs"/>
    /// (the margin must cover what it serves after the holder fenced), and the share whose answer
    /// waits for a slow flush, up to <see cref="SlowestFlushMs"/>, while what they wrote is already visible.
    /// </summary>
    public double SlowShare { get; init; } = 0.03;
    public int SlowestMs { get; init; } = 4_000;
    public int SlowestFlushMs { get; init; } = 15_000;

    /// <summary>How far a machine's clock may run fast or slow (a rate of 1 ± this).</summary>
    public double ClockDrift { get; init; } = 0.05;

    /// <summary>Server restarts per run, which drop every lock (smbd's sessions end).</summary>
    public int MostServerRestarts { get; init; } = 1;

    /// <summary>Two machines share one MAC (cloned VMs).</summary>
    public bool Clones { get; init; }

    public Flaw Flaw { get; init; } = Flaw.None;

    public bool IsCalm => MostCuts == 0 && SlowShare == 0 && MostServerRestarts == 0 && ClockDrift == 0;

    public const long ImageWriteEveryMs = 500, RetryAfterMs = 5_000;

    /// <summary>A calm world: no cut, no slow server, no restart, no drift. The takeover bound is checked only there.</summary>
    public static SimulationSettings Calm => new() { MostCuts = 0, SlowShare = 0, MostServerRestarts = 0, ClockDrift = 0 };
}
