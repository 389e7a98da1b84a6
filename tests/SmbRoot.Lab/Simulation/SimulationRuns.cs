using System.Diagnostics;

namespace SmbRoot.Lab.Simulation;

/// <summary><c>./build.sh fuzz</c>'s long run of the fencing simulation: every world, many seeds each; prints the counts and every broken seed.</summary>
public static class SimulationRuns
{
    public const string Target = "fencing-simulation";

    public static IReadOnlyList<(string Name, SimulationSettings Settings)> Worlds { get; } =
    [
        ("cuts, slow server, drift, crashes, restarts", new SimulationSettings()),
        ("two machines, long cuts", new SimulationSettings { Machines = 2, MostCuts = 5, LongestCutMs = 60_000 }),
        ("slow flushes, many short cuts", new SimulationSettings { SlowShare = 0.1, SlowestFlushMs = 9_000, MostCuts = 15, LongestCutMs = 12_000 }),
        ("calm, with clones", SimulationSettings.Calm with { Clones = true }),
        ("calm", SimulationSettings.Calm),
    ];

    /// <summary>Runs <paramref name="runs"/> seeds of every world; returns the number of broken seeds.</summary>
    public static int RunAll(long runs, TextWriter output)
    {
        int broken = 0;
        foreach (var (name, settings) in Worlds)
        {
            var clock = Stopwatch.StartNew();
            long claims = 0, fences = 0, events = 0, worst = 0;
            for (int seed = 1; seed <= runs; seed++)
            {
                var result = FencingSimulation.Run(seed, settings);
                (claims, fences, events, worst) = (claims + result.Claims, fences + result.Fences, events + result.Events, Math.Max(worst, result.WorstTakeoverMs));
                if (result.Violation is null) continue;
                broken++;
                output.WriteLine($"{Target}: {name}: seed {seed}: {result.Violation}");
                foreach (var line in result.Trace) output.WriteLine("    " + line);
            }
            output.WriteLine($"{Target}: {name}: {runs:N0} runs, {claims:N0} claims, {fences:N0} fences, {events:N0} events, " +
                $"longest takeover {worst / 1000.0:0.0} s, {clock.Elapsed.TotalSeconds:0.0} s");
        }
        return broken;
    }
}
