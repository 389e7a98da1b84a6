using System.Diagnostics;
using System.Globalization;

namespace SmbRoot.Lab;

/// <summary>
/// ./build.sh bench storm (and the end of ./build.sh bench): N machines boot one golden image at
/// once with tmpfs layers (rd.overlay), with DHCP on the lab bridge, against one smbd; the time until all of
/// them run their root's rcS, each one's /init to root mounted, and the server's view while they run.
/// </summary>
public static class StormBenchmark
{
    public static void Run(IReadOnlyList<int> sizes)
    {
        using var lab = new Lab(Path.Combine(Path.GetTempPath(), "smbroot-bench-storm"), "smbroot-storm");
        const string golden = "storm/golden.img";
        lab.AddImage(golden, "ext4");
        string initrd = lab.InitramfsWithCredentials();
        using var dhcp = new Dnsmasq(lab.Network!);
        Console.WriteLine();
        Console.WriteLine($"boot storm: N machines start at once from one golden image (rd.overlay=tmpfs, DHCP and DNS from dnsmasq on the lab bridge; QEMU TCG, 1 vCPU each, on {Environment.ProcessorCount} host cores):");
        List<(int, double)> allRunning = [], medianMounted = [];
        Console.WriteLine("  N   all running (host clock)   /init to root mounted, each (guest clock)   server: sessions, opens of the image");
        foreach (int count in sizes)
        {
            var clock = Stopwatch.StartNew();
            var machines = Enumerable.Range(1, count)
                .Select(_ => lab.BootOnNetwork(initrd, lab.DhcpCommandLine(golden, "rd.overlay=tmpfs:size=64M rd.retry=600"), [lab.Network!.AddNic()]))
                .ToList();
            try
            {
                foreach (var machine in machines) machine.WaitFor(RootImage.ReadyMarker, TimeSpan.FromMinutes(15));
                double all = clock.Elapsed.TotalSeconds;
                var mounted = machines.Select(m => Benchmark.Timestamp(m, @"smbroot: root: .* on /sysroot") - Benchmark.Timestamp(m, "Run /init as init process")).Order().ToList();
                allRunning.Add((count, all));
                medianMounted.Add((count, mounted[mounted.Count / 2]));
                int sessions = lab.Samba.Status().Split('\n').Count(line => line.Contains(SambaServer.User + " ") && line.Contains("SMB3"));
                int opens = lab.Samba.OpenFiles().Split('\n').Count(line => line.Contains(golden) && line.Contains("RDONLY"));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {count,-3} {all,6:0.0} s                   median {mounted[mounted.Count / 2]:0.00} s ({mounted[0]:0.00}-{mounted[^1]:0.00})            {sessions}, {opens}"));
                foreach (var machine in machines) machine.Type($"{RootImage.ControlClient} relinquish --poweroff");
                foreach (var machine in machines) machine.WaitForExit(TimeSpan.FromMinutes(5));
                lab.Samba.WaitUntilReleased(TimeSpan.FromMinutes(1));
            }
            finally
            {
                foreach (var machine in machines) machine.Dispose();
            }
        }
        string chart = BenchCharts.AgainstMachines("Boot storm: one golden image, one smbd (QEMU TCG)", "seconds",
            [("all running (host clock)", allRunning), ("/init to root mounted, median (guest clock)", medianMounted)],
            Path.Combine(BenchCharts.Directory, "storm.svg"));
        Console.WriteLine($"  chart: {chart}");
        Console.WriteLine("  (no script figures here: the busybox script has no overlay, so it cannot boot a fleet from one image)");
    }
}
