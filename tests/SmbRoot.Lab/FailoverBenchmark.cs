using System.Globalization;
using System.Text.RegularExpressions;

namespace SmbRoot.Lab;

/// <summary>
/// ./build.sh bench failover [RUNS]: a machine on a read-write image of a two-node CTDB cluster
/// writes 1 MiB fsync'd files while the node serving the public address dies (ctdbd and smbd
/// SIGKILLed), RUNS times, each on a fresh cluster: how long the cluster took to move the address
/// (host clock), how long the machine's writes stalled (the longest gap between two of them, on
/// the guest's clock) against the longest gap with no failover, and in how many runs a write of the
/// loop device failed (the journal aborted). The goal: a stall within twice the takeover.
/// </summary>
public static class FailoverBenchmark
{
    /// <summary>The writer: each block's end on the guest's clock (/proc/uptime, to the hundredth).</summary>
    private const string Writer =
        "mkdir -p /fence; i=0; while [ $i -lt 400 ]; do i=$((i+1)); dd if=/dev/zero of=/fence/A-$i bs=1M count=1 conv=fsync 2>/dev/null && read up idle < /proc/uptime && echo WROTE A-$i AT $up; done &";

    private sealed record Run(double Takeover, double Stall, double Quiet, bool Aborted, double KilledAt, double MovedAt, double ResumedAt);

    public static void Measure(int runs)
    {
        using var lab = new Lab(Path.Combine(Path.GetTempPath(), "smbroot-bench-failover"), "smbroot-failover");
        string initrd = lab.InitramfsWithCredentials();
        var results = new List<Run>();
        for (int run = 1; run <= runs; run++)
        {
            string image = $"failover/run{run}.img";
            lab.AddImage(image, "ext4");
            using var cluster = new CtdbCluster(lab.Network!, Path.Combine(lab.WorkDirectory, "ctdb"), lab.Samba.SharePath, lab.Samba.UserPassword);
            using var guest = lab.BootOnNetwork(initrd, CtdbCluster.CommandLine(image, 31, "rd.fence.deadline=10"), [lab.Network!.AddNic()]);
            guest.WaitFor(RootImage.ReadyMarker, TimeSpan.FromMinutes(4));
            guest.Type(Writer);
            guest.WaitFor(@"WROTE A-8\b", TimeSpan.FromMinutes(1));
            double killedAt = GuestUptime(guest);
            var (serving, _, _, addressMoved) = cluster.FailOver();
            double takeover = addressMoved.TotalSeconds;
            int before = Regex.Matches(guest.Console, @"WROTE A-\d+ AT").Count;
            var after = guest.WaitFor($@"WROTE A-{before + 3} AT|Aborting journal on device loop", TimeSpan.FromMinutes(1));
            var ends = Regex.Matches(guest.Console, @"WROTE A-\d+ AT ([\d.]+)").Select(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToList();
            var gaps = ends.Zip(ends.Skip(1), (a, b) => b - a).ToList();
            bool aborted = after.Value.StartsWith("Aborting", StringComparison.Ordinal);
            double quiet = gaps.Take(6).Max();
            // The stall: the longest gap between two blocks that ends after the kill began (the host's kill
            // comes a moment after the uptime read); none to measure when the journal aborted.
            int longest = Enumerable.Range(1, ends.Count - 1).Where(i => ends[i] > killedAt).DefaultIfEmpty(-1).MaxBy(i => i < 0 ? 0 : ends[i] - ends[i - 1]);
            double stall = aborted || longest < 0 ? double.NaN : ends[longest] - ends[longest - 1];
            double resumedAt = longest < 0 ? double.NaN : ends[longest];
            results.Add(new Run(takeover, stall, quiet, aborted, killedAt, killedAt + takeover, resumedAt));
            string outcome = aborted ? "a loop write failed, journal aborted" : FormattableString.Invariant($"longest write {stall:0.0} s");
            Console.WriteLine(FormattableString.Invariant($"  run {run}: node {serving} killed; address moved after {takeover:0.0} s; {outcome}"));
        }
        var moved = results.Select(r => r.Takeover).Order().ToList();
        var stalls = results.Where(r => !r.Aborted).Select(r => r.Stall).Order().ToList();
        var quiets = results.Select(r => r.Quiet).Order().ToList();
        Console.WriteLine();
        Console.WriteLine($"failover of a two-node CTDB cluster under a writing machine ({runs} runs; the serving node's ctdbd and smbd SIGKILLed; 1 MiB fsync'd writes):");
        Console.WriteLine($"  {"figure",-52} median   worst");
        Row("the cluster moves the address (s, host clock)", moved);
        Row("longest write across the failover (s, guest clock)", stalls);
        Row("longest write without a failover (s, same runs)", quiets);
        if (stalls.Count > 0)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  stall / takeover, medians: {stalls[stalls.Count / 2] / moved[moved.Count / 2]:0.00} (the goal: at most 2)"));
        }
        Console.WriteLine($"  runs where a loop write failed and the journal aborted: {results.Count(r => r.Aborted)} of {runs}");
        string chart = BenchCharts.BootSteps($"Failover: the node serving the address dies ({runs} runs, two CTDB nodes)",
            results.Select((r, i) => new BenchCharts.Timeline($"run {i + 1}" + (r.Aborted ? " (journal aborted)" : ""),
                r.Aborted ? [new("address moving", 0, r.Takeover)]
                    : [new("address moving", 0, r.Takeover), new("writes waiting", r.Takeover, Math.Max(r.Takeover, r.ResumedAt - r.KilledAt))])).ToList(),
            Path.Combine(BenchCharts.Directory, "failover.svg"), "seconds since the node died");
        Console.WriteLine($"  chart: {chart}");
    }

    /// <summary>The DFS reader: busybox read from the image again each 0.2 s (caches dropped), each read's end on the guest's clock.</summary>
    private const string Reader =
        "while true; do echo 3 > /proc/sys/vm/drop_caches; md5sum /bin/busybox > /dev/null && read up idle < /proc/uptime && echo READ AT $up; usleep 200000; done &";

    /// <summary>
    /// ./build.sh bench dfs [RUNS]: a machine on a golden image behind a DFS link with two targets
    /// (<see cref="DfsTargets"/>) reads from it while the server of its target, the namespace's
    /// own, dies (smbd SIGKILLed), RUNS times, each on fresh servers: the longest gap between two
    /// reads across the death (guest clock) against the longest without one.
    /// </summary>
    public static void MeasureDfs(int runs)
    {
        using var lab = new Lab(Path.Combine(Path.GetTempPath(), "smbroot-bench-dfs"), "smbroot-dfs");
        string initrd = lab.InitramfsWithCredentials();
        string made = lab.AddImage("dfs/golden.img", "ext4");
        var stalls = new List<double>();
        var quiets = new List<double>();
        for (int run = 1; run <= runs; run++)
        {
            using var targets = new DfsTargets(lab.Network!, Path.Combine(lab.WorkDirectory, "dfs-targets"), lab.Samba.UserPassword);
            targets.Publish(made, "v1.img");
            using var guest = lab.BootOnNetwork(initrd, DfsTargets.CommandLine(0, "current", 40, "rd.overlay=tmpfs"), [lab.Network!.AddNic()]);
            guest.WaitFor(RootImage.ReadyMarker, TimeSpan.FromMinutes(4));
            guest.Type(Reader);
            guest.WaitFor(@"(?s)(READ AT .*){10}", TimeSpan.FromMinutes(1));
            double killedAt = GuestUptime(guest);
            int serving = targets.Serving("v1.img") ?? throw new InvalidOperationException("neither target has the image open");
            targets.Kill(serving);
            int before = Regex.Matches(guest.Console, @"READ AT").Count;
            guest.WaitFor($@"(?s)(READ AT .*){{{before + 5}}}", TimeSpan.FromMinutes(1));
            var ends = Regex.Matches(guest.Console, @"READ AT ([\d.]+)").Select(m => double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ToList();
            var gaps = Enumerable.Range(1, ends.Count - 1).Select(i => (End: ends[i], Gap: ends[i] - ends[i - 1])).ToList();
            double quiet = gaps.Where(g => g.End < killedAt).Max(g => g.Gap);
            double stall = gaps.Where(g => g.End > killedAt).Max(g => g.Gap);
            (stalls, quiets) = ([.. stalls, stall], [.. quiets, quiet]);
            Console.WriteLine(FormattableString.Invariant($"  run {run}: server {serving} killed; longest gap between reads {stall:0.0} s (without a failover {quiet:0.0} s)"));
        }
        Console.WriteLine();
        Console.WriteLine($"failover of a DFS link's target under a reading machine ({runs} runs; two standalone servers, each a target and a namespace root; the serving one's smbd SIGKILLed; busybox read every 0.2 s, caches dropped):");
        Console.WriteLine($"  {"figure",-52} median   worst");
        Row("longest gap between reads across the death (s)", [.. stalls.Order()]);
        Row("longest gap between reads without one (s)", [.. quiets.Order()]);
    }

    private static void Row(string name, List<double> values) =>
        Console.WriteLine(values.Count == 0 ? $"  {name,-52} none" : string.Create(CultureInfo.InvariantCulture, $"  {name,-52} {values[values.Count / 2],-8:0.00} {values[^1]:0.00}"));

    /// <summary>The guest's uptime now, read through its console (the writer's clock).</summary>
    private static double GuestUptime(QemuMachine guest)
    {
        guest.Type("read up idle < /proc/uptime; echo UPTIME-NOW $up");
        return double.Parse(guest.WaitFor(@"UPTIME-NOW ([\d.]+)", TimeSpan.FromSeconds(30)).Groups[1].Value, CultureInfo.InvariantCulture);
    }
}
