using SmbRoot.Lab;
using SmbRoot.Lab.Simulation;

switch (args)
{
    case ["demo"]:
        return Demo();
    case ["bench"]:
        // A password without a comma: the script the bench compares with cannot pass one through busybox mount.
        using (var lab = new Lab(Path.Combine(Path.GetTempPath(), "smbroot-bench"), password: "bench-password"))
        {
            Benchmark.Run(lab, boots: 5);
        }
        using (var lab = new Lab(Path.Combine(Path.GetTempPath(), "smbroot-bench-cost"), password: "bench-password", profiling: true))
        {
            CostBenchmark.Measure(lab);
        }
        StormBenchmark.Run([1, 4, 8]);
        FailoverBenchmark.Measure(5);
        return 0;
    case ["bench", "storm"]:
        StormBenchmark.Run([1, 4, 8]);
        return 0;
    case ["bench", "peer", .. var rest] when Boots(rest, 5) is int boots:
        using (var lab = new Lab(Path.Combine(Path.GetTempPath(), "smbroot-bench"), password: "bench-password"))
        {
            Benchmark.AgainstThePeer(lab, boots);
        }
        return 0;
    case ["bench", "failover", .. var rest] when Boots(rest, 5) is int runs:
        FailoverBenchmark.Measure(runs);
        return 0;
    case ["bench", "dfs", .. var rest] when Boots(rest, 5) is int runs:
        FailoverBenchmark.MeasureDfs(runs);
        return 0;
    case ["bench", "cost"]:
        using (var lab = new Lab(Path.Combine(Path.GetTempPath(), "smbroot-bench-cost"), password: "bench-password", profiling: true))
        {
            CostBenchmark.Measure(lab);
        }
        return 0;
    case ["bench", "memory"]:
        using (var lab = new Lab(Path.Combine(Path.GetTempPath(), "smbroot-bench"), password: "bench-password"))
        {
            Benchmark.SmallestGuest(lab);
        }
        return 0;
    case ["bench", "kexec", .. var rest] when Boots(rest, 3) is int boots:
        using (var lab = new Lab(Path.Combine(Path.GetTempPath(), "smbroot-bench"), password: "bench-password"))
        {
            Benchmark.KexecAgainstReboot(lab, boots);
        }
        return 0;
    case ["bench", "io", .. var rest] when Boots(rest, 3) is int boots:
        using (var lab = new Lab(Path.Combine(Path.GetTempPath(), "smbroot-bench"), password: "bench-password"))
        {
            Benchmark.LoopAgainstRaw(lab, boots);
        }
        return 0;
    case ["fuzz", .. var rest]:
        long inputs = rest is [var n, ..] ? long.Parse(n) : 1_000_000;
        string[] targets = rest.Skip(1).ToArray();
        string[] parsers = targets.Where(t => t != SimulationRuns.Target).ToArray();
        int crashes = targets.Length > 0 && parsers.Length == 0 ? 0 : SmbRoot.Lab.Fuzzing.CoreParsers.RunAll(inputs, Console.Out, parsers);
        string which = targets.Length == 0 ? $"{SmbRoot.Lab.Fuzzing.CoreParsers.All.Count} parsers" : string.Join(", ", targets);
        // The protocol's simulation: one run is a few thousand events, so a hundredth as many runs as inputs.
        if (targets.Length == 0 || targets.Contains(SimulationRuns.Target)) crashes += SimulationRuns.RunAll(Math.Max(1, inputs / 100), Console.Out);
        Console.WriteLine(crashes == 0 ? $"fuzz: {which}, {inputs:N0} inputs each, no crash" : $"fuzz: {crashes} crash(es) or broken seed(s)");
        return crashes == 0 ? 0 : 1;
    default:
        Console.Error.WriteLine("usage: SmbRoot.Lab demo|bench [storm|io [BOOTS]|peer [BOOTS]|kexec [BOOTS]|failover [RUNS]|dfs [RUNS]|cost|memory]|fuzz [INPUTS [TARGET...|fencing-simulation]]   (run through ./build.sh demo, bench or fuzz)");
        return 2;
}

// The BOOTS argument of a bench part: none gives the default, one positive number that many; anything else is a usage error.
static int? Boots(string[] rest, int byDefault) => rest switch
{
    [] => byDefault,
    [var text] when int.TryParse(text, out int count) && count > 0 => count,
    _ => null,
};

// ./build.sh demo: boot a guest from a private Samba share and show both sides.
static int Demo()
{
    using var lab = new Lab(Path.Combine(Path.GetTempPath(), "smbroot-demo"));
    Console.WriteLine($"demo: smbd on 127.0.0.1:{lab.Samba.Port}, share '{SambaServer.ShareName}' in {lab.Samba.SharePath}");
    const string image = "machines/demo/root.img";
    lab.AddImage(image, "ext4", "echo; echo '*** Hello from the root filesystem on the SMB share ***'; echo");
    Console.WriteLine($"demo: made an ext4 root image with busybox at //{SambaServer.ShareName}/{image}");
    string cmdline = lab.CommandLine(image);
    Console.WriteLine($"demo: booting QEMU (TCG, no KVM: allow a minute) with\n  {cmdline}\n");
    using var guest = lab.Boot(lab.InitramfsWithCredentials(), cmdline, echo: Console.Out);
    guest.WaitFor(RootImage.ReadyMarker, TimeSpan.FromMinutes(5));
    Console.WriteLine("\ndemo: the server's view while the guest runs (smbstatus):");
    Console.WriteLine(lab.Samba.Status());

    Console.WriteLine("demo: in the guest, 'init status' and then 'init relinquish --halt':\n");
    guest.Type($"{RootImage.ControlClient} status");
    guest.WaitFor(@"^mode: ", TimeSpan.FromMinutes(1));
    guest.Type($"{RootImage.ControlClient} relinquish --halt");
    guest.WaitFor(@"reboot: System halted", TimeSpan.FromMinutes(3));
    Thread.Sleep(2000);
    Console.WriteLine("\ndemo: the server's view with the guest halted but still running (smbstatus):");
    Console.WriteLine(lab.Samba.Status());
    Console.WriteLine("demo: done; stopping the halted guest");
    return 0;
}
