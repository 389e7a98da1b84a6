using System.Diagnostics;

namespace SmbRoot.Lab.Simulation;

/// <summary><c>./build.sh fuzz</c>'s long run of the fencing simulation: every world, many seeds each; prints the counts and every broken seed.</summary>
public static class SimulationRuns
{
    public const string Target = "fencing-simulation";

    /// <summary>Two machines, each cut off up to five times for up to a minute.</summary>
    public static SimulationSettings LongCuts { get; } = new() { Machines = 2, MostCuts = 5, LongestCutMs = 60_000 };

    /// <summary>Many writes visible long before their answer came (a slow flush, more than the margin), and many short cuts.</summary>
    public static SimulationSettings SlowFlushes { get; } = new() { SlowShare = 0.1, SlowestFlushMs = 9_000, MostCuts = 15, LongestCutMs = 12_000 };

    public static IReadOnlyList<(string Name, SimulationSettings Settings)> Worlds { get; } =
    [
        ("cuts, slow server, drift, crashes, restarts", new SimulationSettings()),
        ("two machines, long cuts", LongCuts),
        ("slow flushes, many short cuts", SlowFlushes),
        ("calm, with clones", SimulationSettings.Calm with { Clones = true }),
        ("calm", SimulationSettings.Calm),
    ];

    /// <summary>What seeds 1 to N of one world did, added up.</summary>
    public sealed record Tally(long Runs, long Claims, long Fences, long Events, long WorstTakeoverMs);

    /// <summary>Runs seeds 1 to <paramref name="runs"/> of <paramref name="settings"/>, giving each broken one to <paramref name="broken"/>.</summary>
    public static Tally Run(SimulationSettings settings, long runs, Action<SimulationResult> broken)
    {
        long claims = 0, fences = 0, events = 0, worst = 0;
        for (int seed = 1; seed <= runs; seed++)
        {
            var result = FencingSimulation.Run(seed, settings);
            (claims, fences, events, worst) = (claims + result.Claims, fences + result.Fences, events + result.Events, Math.Max(worst, result.WorstTakeoverMs));
            if (result.Violation is not null) broken(result);
        }
        return new Tally(runs, claims, fences, events, worst);
    }

    /// <summary>Runs <paramref name="runs"/> seeds of every world; returns the number of broken seeds.</summary>
    public static int RunAll(long runs, TextWriter output)
    {
        int broken = 0;
        foreach (var (name, settings) in Worlds)
        {
            var clock = Stopwatch.StartNew();
            var tally = Run(settings, runs, result =>
            {
                broken++;
                output.WriteLine($"{Target}: {name}: seed {result.Seed}: {result.Violation}");
                foreach (var line in result.Trace) output.WriteLine("    " + line);
            });
            output.WriteLine($"{Target}: {name}: {runs:N0} runs, {tally.Claims:N0} claims, {tally.Fences:N0} fences, {tally.Events:N0} events, " +
                $"longest takeover {tally.WorstTakeoverMs / 1000.0:0.0} s, {clock.Elapsed.TotalSeconds:0.0} s");
        }
        return broken;
    }
}
