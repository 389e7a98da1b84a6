using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace SmbRoot.Lab;

/// <summary>
/// ./build.sh bench: the figures the README quotes. Sizes of the binary and the initramfs, and
/// boot times over several QEMU boots (TCG, so the absolute times are slower than hardware).
/// </summary>
public static class Benchmark
{
    // Console lines the figures are timed by (guest clock).
    private const string InitStarts = "Run /init as init process";
    private const string RootMounted = @"smbroot: root: /dev/loop\d+ on /sysroot";
    private const string RootReleased = "smbroot: final: the root is released";

    public static void Run(Lab lab, int boots)
    {
        string binary = Path.Combine(lab.RepositoryRoot, "out/bin/smbroot");
        long compressed = new FileInfo(lab.Initramfs).Length;
        long uncompressed = InitramfsFile.UnpackedSize(lab.Initramfs);
        Console.WriteLine($"init binary (NativeAOT):   {KiB(new FileInfo(binary).Length)}");
        Console.WriteLine($"initramfs compressed:      {KiB(compressed)} ({Path.GetFileName(lab.Initramfs)}, {InitramfsFile.CompressionOf(lab.Initramfs)}; {compressed / 1e6:0.00} MB)");
        Console.WriteLine($"initramfs unpacked:        {KiB(uncompressed)}");

        const string image = "bench/root.img";
        lab.AddImage(image, "ext4");
        var toInit = new List<double>();
        var inInit = new List<double>();
        var relinquish = new List<double>();
        var release = new List<double>();
        string? memory = null, resident = null;
        for (int i = 0; i < boots; i++)
        {
            var clock = Stopwatch.StartNew();
            using var guest = lab.Boot(lab.InitramfsWithCredentials(), lab.CommandLine(image));
            guest.WaitFor(RootImage.ReadyMarker, TimeSpan.FromMinutes(4));
            toInit.Add(clock.Elapsed.TotalSeconds);
            // Guest clock: from the kernel starting /init to /init handing over to the root's init.
            inInit.Add(Timestamp(guest, RootMounted) - Timestamp(guest, InitStarts));
            memory = guest.Seen(@"LAB: retained-kib=(\d+) mem-available-kib=(\d+)").Value;
            if (i == 0)
            {
                WaitForThePrompt();
                guest.Type($"{RootImage.ControlClient} status");
                resident = guest.WaitFor(@"memory:\s+(PID 1 .*)$", TimeSpan.FromMinutes(1)).Groups[1].Value.Trim();
            }

            // The way out: from typing the request to QEMU exiting at power-off.
            WaitForThePrompt();
            var down = Stopwatch.StartNew();
            guest.Type($"{RootImage.ControlClient} relinquish --poweroff");
            if (!guest.WaitForExit(TimeSpan.FromMinutes(3))) throw new TimeoutException("the guest did not power off after relinquish");
            relinquish.Add(down.Elapsed.TotalSeconds);
            release.Add(Timestamp(guest, RootReleased) - Timestamp(guest, @"smbroot: guard: the system's init (asked|exited|was killed)"));
        }
        Console.WriteLine($"boots:                     {boots} (QEMU TCG, 1 vCPU, 768 MiB, virtio-net, ext4 image)");
        Console.WriteLine($"/init start to root mount: {Summary(inInit)} (guest clock)");
        Console.WriteLine($"QEMU start to root's rcS:  {Summary(toInit)} (host clock)");
        Console.WriteLine($"after the switch:          {memory}");
        Console.WriteLine($"init status, guard mode:   {resident}");
        Console.WriteLine($"relinquish to power-off:   {Summary(relinquish)} (host clock, busybox init's own shutdown included)");
        Console.WriteLine($"final stage, init gone to root released: {Summary(release)} (guest clock)");
        AgainstThePeer(lab, boots);
        KexecAgainstReboot(lab, boots: 3);
        Integrity(lab, boots: 3);
        LoopAgainstRaw(lab, boots: 3);
        SmallestGuest(lab);
    }

    /// <summary>
    /// The loop device's price: in the same boot, 64 MiB written with fsync and read back cold,
    /// through the root (ext4 on the loop device on the share) and straight to the share (a second
    /// cifs mount of it in the system, with the same options), as the issue measured it.
    /// </summary>
    public static void LoopAgainstRaw(Lab lab, int boots)
    {
        const string image = "bench/io.img";
        lab.AddImage(image, "ext4");
        string raw = $"mkdir -p /raw && mount -t cifs //10.0.2.2/{SambaServer.ShareName} /raw -o vers=3.1.1,hard,sign,ip=10.0.2.2,port={lab.Samba.Port}," +
            $"username={SambaServer.User},password={lab.Samba.UserPassword}";
        var rows = new Dictionary<string, (List<double> Loop, List<double> Raw)>
        {
            ["write (MiB/s)"] = ([], []), ["cold read (MiB/s)"] = ([], []), ["CPU busy, write (%)"] = ([], []), ["CPU busy, cold read (%)"] = ([], []),
        };
        for (int i = 0; i < boots; i++)
        {
            using var guest = lab.Boot(lab.InitramfsWithCredentials(), lab.CommandLine(image));
            guest.WaitFor(RootImage.ReadyMarker, TimeSpan.FromMinutes(4));
            WaitForThePrompt();
            guest.Type(raw);
            guest.Type(TimedIo("LOOP", "/root/io", 64) + "; " + TimedIo("RAW", "/raw/bench/io-raw", 64));
            foreach (var (tag, isLoop) in new[] { ("LOOP", true), ("RAW", false) })
            {
                foreach (var (step, name) in new[] { ("WRITE", "write"), ("READ", "cold read") })
                {
                    var (rate, busy) = IoRate(guest, tag, step, 64);
                    Column(rows[$"{name} (MiB/s)"], isLoop).Add(rate);
                    Column(rows[$"CPU busy, {name} (%)"], isLoop).Add(busy);
                }
            }
        }
        static List<double> Column((List<double> Loop, List<double> Raw) row, bool loop) => loop ? row.Loop : row.Raw;
        Console.WriteLine();
        Console.WriteLine($"the root through the loop device against the share itself ({boots} boots, both in the same boot; 64 MiB dd with fsync, then a cold read; signed;");
        Console.WriteLine("  CPU busy is the guest's one CPU during the transfer, from /proc/uptime's idle time):");
        // The host's load moves both transfers of a boot together, so each boot's own ratio is steadier than the ratio of the medians.
        Console.WriteLine($"  {"figure",-24} {"root (loop)",-22} {"share (raw cifs)",-22} ratio, each boot's own");
        foreach (var (figure, (loop, rawRates)) in rows)
        {
            var ratios = loop.Zip(rawRates, (l, r) => l / r).ToList();
            Console.WriteLine($"  {figure,-24} {Spread(loop),-22} {Spread(rawRates),-22} {Spread(ratios)}");
        }
    }

    /// <summary>
    /// One initramfs the bench boots. SmbRoot is built twice: with the script's own NIC and
    /// filesystem modules (what a site of QEMU guests with ext4 roots builds: --nic, --filesystem),
    /// which is the like-for-like comparison, and as built by default, with the common ones.
    /// </summary>
    /// <param name="Archive">the archive as built, without the credentials the boot's copy has appended</param>
    private sealed record Contender(string Name, string Archive, string Initramfs, bool IsScript);

    private static Contender[] Contenders(Lab lab, string image)
    {
        string site = lab.SiteInitramfs(), script = PeerInitramfs.Build(lab, image, TextWriter.Null);
        return
        [
            new("SmbRoot", site, lab.InitramfsWithCredentials(baseImage: site), false),
            new("SmbRoot, common", lab.Initramfs, lab.InitramfsWithCredentials(), false),
            new("script", script, script, true),
        ];
    }

    /// <summary>
    /// SmbRoot against the shell script it replaces (<see cref="PeerInitramfs"/>), booting the same
    /// image in the same run, one after the other: each figure with the medians and ranges and the
    /// ratios SmbRoot / script (below 1 is SmbRoot ahead).
    /// </summary>
    public static void AgainstThePeer(Lab lab, int boots)
    {
        const string image = "bench/peer.img";
        const string rcsMarker = "lab: rcS is running";
        lab.AddImage(image, "ext4", extraRcS: $"echo '{rcsMarker}' > /dev/kmsg");
        var contenders = Contenders(lab, image);
        var figures = Figures.ToDictionary(f => f, _ => contenders.Select(_ => new List<double>()).ToArray());
        var ownCode = contenders.Select(_ => new List<double>()).ToArray();
        var marks = contenders.Select(_ => new List<BootMarks>()).ToArray();
        for (int i = 0; i < boots; i++)
        {
            for (int c = 0; c < contenders.Length; c++)
            {
                var contender = contenders[c];
                using var guest = lab.Boot(contender.Initramfs, lab.CommandLine(image));
                guest.WaitFor(RootImage.ReadyMarker, TimeSpan.FromMinutes(4));
                var boot = BootMarks.Of(guest, contender.IsScript, rcsMarker);
                foreach (var figure in Figures) figures[figure][c].Add(figure.Value(boot));
                marks[c].Add(boot);
                if (contender.IsScript) continue;
                WaitForThePrompt();
                guest.Type($"{RootImage.ControlClient} status");
                var own = guest.WaitFor(@"SmbRoot's own code ([\d.]+) s of CPU", TimeSpan.FromMinutes(1));
                ownCode[c].Add(double.Parse(own.Groups[1].Value, CultureInfo.InvariantCulture));
            }
        }
        var script = contenders.Single(c => c.IsScript);
        var ours = contenders.Where(c => !c.IsScript).ToArray();
        Console.WriteLine();
        Console.WriteLine($"SmbRoot against the busybox script it replaces ({boots} boots each, alternating, same image, both signing, all {InitramfsFile.CompressionOf(script.Initramfs)};");
        Console.WriteLine($"  '{ours[0].Name}' carries the script's NIC and filesystem modules, '{ours[1].Name}' the common ones; ratios are SmbRoot / script):");
        Console.WriteLine($"  {"figure",-46} {string.Concat(contenders.Select(c => $"{c.Name,-22} "))}ratios");
        foreach (var (figure, lists) in figures)
        {
            var scriptMedian = Median(lists[^1]);
            Console.WriteLine($"  {figure.Name,-46} {string.Concat(lists.Select(l => $"{Spread(l),-22} "))}{string.Join(" ", lists[..^1].Select(l => (Median(l) / scriptMedian).ToString("0.00", CultureInfo.InvariantCulture)))}");
        }
        foreach (var (figure, lists) in figures.Where(f => f.Key.IsMemory))
        {
            Console.WriteLine($"  cost against the script, {figure.Name}: {string.Join(", ", ours.Select((o, c) => $"{o.Name} {Median(lists[^1]) - Median(lists[c]):0.0} MiB"))}");
        }
        Console.WriteLine($"  SmbRoot's own code up to the switch, PID 1's user CPU from init status (s): {string.Join(", ", ours.Select((o, c) => $"{o.Name} {Spread(ownCode[c])}"))}");
        Console.WriteLine("    the rest of /init to the root's init is the kernel's work for it (modules, mounts), the system-start helper and waiting");
        var sizes = contenders.Select(c => new FileInfo(c.Archive).Length).ToArray();
        Console.WriteLine($"  {"initramfs, compressed (KiB)",-46} {string.Concat(sizes.Select(s => $"{s / 1024,-22} "))}{string.Join(" ", sizes[..^1].Select(s => ((double)s / sizes[^1]).ToString("0.00", CultureInfo.InvariantCulture)))}");
        var unpacked = contenders.Select(c => InitramfsFile.UnpackedSize(c.Archive)).ToArray();
        Console.WriteLine($"  {"initramfs unpacked (KiB)",-46} {string.Concat(unpacked.Select(s => $"{s / 1024,-22} "))}");
        string chart = BenchCharts.BootSteps($"The boot's steps, SmbRoot against the busybox script ({boots} boots each, QEMU TCG)",
            contenders.Select((c, i) => new BenchCharts.Timeline(c.Name, Steps(marks[i]))).ToList(),
            Path.Combine(BenchCharts.Directory, "boot-steps.svg"));
        Console.WriteLine($"  chart: {chart}");
    }

    /// <summary>The boot's steps from the medians of its marks (each mark's median: a step never ends before it starts).</summary>
    private static IReadOnlyList<BenchCharts.Step> Steps(List<BootMarks> boots)
    {
        double start = Median(boots.Select(b => b.Start).ToList()), network = Median(boots.Select(b => b.Network).ToList()),
            attached = Median(boots.Select(b => b.Attached).ToList()), mounted = Median(boots.Select(b => b.Mounted).ToList()),
            init = Median(boots.Select(b => b.Init).ToList()), rcs = Median(boots.Select(b => b.Rcs).ToList());
        return
        [
            new("kernel, unpacking", 0, start),
            new("network", start, network),
            new("share and image", network, attached),
            new("root mounted", attached, mounted),
            new("to the root's init", mounted, init),
            new("root's init to rcS", init, rcs),
        ];
    }

    /// <summary>
    /// The way to the next boot: from typing the request to the new root's rcS, kexec (relinquish
    /// --kexec into the kernel and initramfs the system loaded) against a reboot (relinquish --reboot;
    /// the lab's QEMU runs with -no-reboot, so the reboot is QEMU started again, without the
    /// firmware's POST a real server adds). Host clock; the same image each time.
    /// </summary>
    public static void KexecAgainstReboot(Lab lab, int boots)
    {
        const string image = "bench/kexec.img";
        string initrd = lab.InitramfsWithCredentials();
        lab.AddImage(image, "ext4", extraFiles: new Dictionary<string, byte[]>
        {
            [KexecLoad.GuestPath] = File.ReadAllBytes(KexecLoad.Build(lab.WorkDirectory)),
            ["/boot/vmlinuz"] = File.ReadAllBytes(lab.Kernel),
            ["/boot/initrd.img"] = File.ReadAllBytes(initrd),
        });
        string commandLine = lab.CommandLine(image);
        List<double> kexec = [], reboot = [];
        for (int i = 0; i < boots; i++)
        {
            using (var guest = lab.Boot(initrd, commandLine))
            {
                guest.WaitFor(RootImage.ReadyMarker, TimeSpan.FromMinutes(4));
                WaitForThePrompt();
                guest.Type($"{KexecLoad.GuestPath} /boot/vmlinuz /boot/initrd.img '{commandLine}'");
                guest.WaitFor(KexecLoad.Loaded, TimeSpan.FromMinutes(1));
                WaitForThePrompt();
                var clock = System.Diagnostics.Stopwatch.StartNew();
                guest.Type($"{RootImage.ControlClient} relinquish --kexec");
                guest.WaitFor(RootImage.ReadyMarker, TimeSpan.FromMinutes(4));
                kexec.Add(clock.Elapsed.TotalSeconds);
            }
            using (var guest = lab.Boot(initrd, commandLine))
            {
                guest.WaitFor(RootImage.ReadyMarker, TimeSpan.FromMinutes(4));
                WaitForThePrompt();
                var clock = System.Diagnostics.Stopwatch.StartNew();
                guest.Type($"{RootImage.ControlClient} relinquish --reboot");
                if (!guest.WaitForExit(TimeSpan.FromMinutes(3))) throw new TimeoutException("the guest did not reset after relinquish --reboot");
                using var again = lab.Boot(initrd, commandLine);
                again.WaitFor(RootImage.ReadyMarker, TimeSpan.FromMinutes(4));
                reboot.Add(clock.Elapsed.TotalSeconds);
            }
        }
        Console.WriteLine();
        Console.WriteLine($"the way to the next boot, request to the new root's rcS ({boots} each, host clock; a real server's POST adds minutes to the reboot):");
        Console.WriteLine($"  relinquish --kexec   {Spread(kexec)} s");
        Console.WriteLine($"  relinquish --reboot  {Spread(reboot)} s (QEMU started again)");
        Console.WriteLine($"  ratio kexec / reboot {(Median(kexec) / Median(reboot)).ToString("0.00", CultureInfo.InvariantCulture)}");
    }

    /// <summary>
    /// When each step of a boot ended, on the guest's clock (s since the kernel started), as the
    /// console says it: SmbRoot's own lines, the script's marks (<see cref="PeerInitramfs"/>); and
    /// the CPU's idle time and the memory left to the system.
    /// </summary>
    private sealed record BootMarks(double Start, double Network, double Attached, double Mounted, double Init, double Rcs,
        double Idle, double AvailableMiB, double PerCpuFreeMiB)
    {
        public static BootMarks Of(QemuMachine guest, bool isScript, string rcsMarker)
        {
            var memory = guest.Seen(@"mem-available-kib=(\d+) per-cpu-free-kib=(\d+)").Groups;
            return new BootMarks(
                Timestamp(guest, InitStarts),
                Timestamp(guest, isScript ? Regex.Escape(PeerInitramfs.NetworkUp) : @"smbroot: network: \S+ is "),
                Timestamp(guest, isScript ? Regex.Escape(PeerInitramfs.ImageAttached) : @"smbroot: image: .* on /dev/loop\d+"),
                Timestamp(guest, isScript ? Regex.Escape(PeerInitramfs.RootMounted) : RootMounted),
                // TOMOYO says this as /sbin/init, its activation trigger, is exec'd (security/tomoyo/load_policy.c):
                // the moment the root's init starts, whoever starts it.
                Timestamp(guest, @"Not activating Mandatory Access Control as /sbin/tomoyo-init"),
                Timestamp(guest, Regex.Escape(rcsMarker)),
                // The kernel's own start is not idle (0.00 s at /init in this lab), so this is the time the boot waited:
                // for the server, the link, a timer.
                double.Parse(guest.Seen(@"LAB: cpu-idle-s=([\d.]+)").Groups[1].Value, CultureInfo.InvariantCulture),
                double.Parse(memory[1].Value, CultureInfo.InvariantCulture) / 1024,
                // Free pages the kernel keeps in its per-CPU lists count in neither MemFree nor MemAvailable
                // (mm/page_alloc.c; /proc/zoneinfo "count:"), and since 5.14 a list may hold up to a share of the
                // low watermark (zone_highsize): the pages a larger initramfs frees at the switch land there.
                double.Parse(memory[2].Value, CultureInfo.InvariantCulture) / 1024);
        }
    }

    /// <summary>One row of the table against the script: its name, and its value from a boot's marks.</summary>
    private sealed record Figure(string Name, Func<BootMarks, double> Value, bool IsMemory = false);

    private static readonly Figure[] Figures =
    [
        new("kernel start to /init, unpacking included (s)", b => b.Start),
        new("/init start to root mounted (s)", b => b.Mounted - b.Start),
        new("/init start to the root's init (s)", b => b.Init - b.Start),
        new("/init start to the root's rcS (s)", b => b.Rcs - b.Start),
        new("kernel start to the root's init, all in (s)", b => b.Init),
        new("  /init start to network up (s)", b => b.Network - b.Start),
        new("  network up to image attached (s)", b => b.Attached - b.Network),
        new("  image attached to root mounted (s)", b => b.Mounted - b.Attached),
        new("  root mounted to the root's init (s)", b => b.Init - b.Mounted),
        new("CPU idle, kernel start to the root's rcS (s)", b => b.Idle),
        new("MemAvailable in the system (MiB)", b => b.AvailableMiB, IsMemory: true),
        new("MemAvailable + per-CPU free lists (MiB)", b => b.AvailableMiB + b.PerCpuFreeMiB, IsMemory: true),
    ];

    /// <summary>The console shell's prompt has no newline, so there is no line to wait for: a second for it to be there.</summary>
    private static void WaitForThePrompt() => Thread.Sleep(1000);

    /// <summary>
    /// The smallest guest each initramfs runs in: RAM from 256 MiB down, until a boot no longer
    /// reaches the root's rcS (SmbRoot must also relinquish and power off); the first failure's
    /// reason is the console line that names it.
    /// </summary>
    public static void SmallestGuest(Lab lab)
    {
        const string image = "bench/small.img";
        lab.AddImage(image, "ext4");
        int[] sizes = [256, 192, 160, 128, 112, 96, 80, 64];
        Console.WriteLine();
        Console.WriteLine("smallest guest (RAM in MiB, from 256 down; SmbRoot boots, relinquishes and powers off; the script boots):");
        foreach (var contender in Contenders(lab, image))
        {
            int? smallest = null;
            string failure = "none down to the smallest size tried";
            foreach (int size in sizes)
            {
                using var guest = lab.Boot(contender.Initramfs, lab.CommandLine(image), memoryMiB: size);
                if (RunsIn(guest, contender.IsScript) is { } reason)
                {
                    failure = $"{size} MiB fails: {reason}";
                    break;
                }
                smallest = size;
            }
            Console.WriteLine($"  {contender.Name,-16} {(smallest is { } s ? $"{s} MiB" : "not even 256 MiB"),-10} ({failure})");
        }
    }

    /// <summary>Null when the guest got through; otherwise the console line that says why not.</summary>
    private static string? RunsIn(QemuMachine guest, bool isPeer)
    {
        const string failures = @"Out of memory|Kernel panic|oom-kill|not syncing|ERROR.*";
        try
        {
            guest.WaitFor(RootImage.ReadyMarker, TimeSpan.FromMinutes(3));
            if (isPeer) return null;
            WaitForThePrompt();
            guest.Type($"{RootImage.ControlClient} relinquish --poweroff");
            if (!guest.WaitForExit(TimeSpan.FromMinutes(3))) return "no power-off after relinquish";
            return guest.Console.Contains(RootReleased) ? null : "the final stage did not release the root";
        }
        catch (TimeoutException)
        {
            var line = Regex.Match(guest.Console, $@"^.*({failures}).*$", RegexOptions.Multiline);
            return line.Success ? line.Value.Trim() : "no root's rcS within 3 minutes";
        }
    }

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    private static string Spread(List<double> values) =>
        string.Create(CultureInfo.InvariantCulture, $"{Median(values):0.00} ({values.Min():0.00}-{values.Max():0.00})");

    /// <summary>
    /// The price of integrity on the wire, from one run: for off, sign and seal, the boot time
    /// (/init start to root mounted, guest clock, median of <paramref name="boots"/>) and the root's
    /// write (32 MiB, fsync) and cold read throughput through the loop device, from busybox dd.
    /// </summary>
    private static void Integrity(Lab lab, int boots)
    {
        const string image = "bench/integrity.img";
        lab.AddImage(image, "ext4");
        Console.WriteLine();
        Console.WriteLine($"integrity on the wire ({boots} boots each; write 32 MiB with fsync, then a cold read, through the root's loop device):");
        Console.WriteLine("  rd.cifs.integrity  /init to root mounted   write        read");
        foreach (var mode in new[] { "off", "sign", "seal" })
        {
            var mounted = new List<double>();
            string write = "", read = "";
            for (int i = 0; i < boots; i++)
            {
                using var guest = lab.Boot(lab.InitramfsWithCredentials(), lab.CommandLine(image, $"rd.cifs.integrity={mode}"));
                guest.WaitFor(RootImage.ReadyMarker, TimeSpan.FromMinutes(4));
                mounted.Add(Timestamp(guest, RootMounted) - Timestamp(guest, InitStarts));
                if (i > 0) continue;
                WaitForThePrompt();
                guest.Type(TimedIo("ROOT", "/root/bench", 32));
                write = $"{IoRate(guest, "ROOT", "WRITE", 32).Rate.ToString("0.0", CultureInfo.InvariantCulture)} MiB/s";
                read = $"{IoRate(guest, "ROOT", "READ", 32).Rate.ToString("0.0", CultureInfo.InvariantCulture)} MiB/s";
            }
            Console.WriteLine($"  {mode,-18} {Spread(mounted),-22} {write,-12} {read}");
        }
    }

    /// <summary>
    /// A guest shell command: <paramref name="mebibytes"/> MiB written to <paramref name="file"/> with
    /// fsync, then read back cold, each printed as "LAB-tag-WRITE: start end status" (READ likewise),
    /// start and end being /proc/uptime's two figures, the clock and the idle time (proc(5), 10 ms).
    /// busybox dd prints no rate, so the guest's clock times each transfer.
    /// </summary>
    private static string TimedIo(string tag, string file, int mebibytes)
    {
        const string now = "$(cat /proc/uptime)";
        return $"t0=\"{now}\"; dd if=/dev/zero of={file} bs=1M count={mebibytes} conv=fsync 2>/dev/null; s=$?; echo \"LAB-{tag}-WRITE: $t0 {now} $s\"; " +
            $"echo 3 > /proc/sys/vm/drop_caches; t0=\"{now}\"; dd if={file} of=/dev/null bs=1M 2>/dev/null; s=$?; echo \"LAB-{tag}-READ: $t0 {now} $s\"; rm {file}";
    }

    /// <summary>
    /// The MiB/s of one step of <see cref="TimedIo"/>, and how busy the guest's one CPU was meanwhile
    /// (100% less the idle share). A dd that failed (a full filesystem ends the write before its fsync)
    /// fails the bench: its time is not a rate. Digits after the tag: the console also echoes the
    /// typed command, which holds the tags too.
    /// </summary>
    private static (double Rate, double BusyPercent) IoRate(QemuMachine guest, string tag, string step, int mebibytes)
    {
        var times = guest.WaitFor($@"LAB-{tag}-{step}: ([\d.]+) ([\d.]+) ([\d.]+) ([\d.]+) (\d+)", TimeSpan.FromMinutes(5));
        if (times.Groups[5].Value != "0") throw new InvalidOperationException($"bench: dd in the guest failed ({tag} {step}, exit status {times.Groups[5].Value}); see the guest's console");
        double Field(int group) => double.Parse(times.Groups[group].Value, CultureInfo.InvariantCulture);
        double seconds = Math.Max(Field(3) - Field(1), 0.01);
        return (mebibytes / seconds, 100 * (1 - (Field(4) - Field(2)) / seconds));
    }

    /// <summary>The guest clock's time of the console line that matches <paramref name="message"/>.</summary>
    internal static double Timestamp(QemuMachine guest, string message) =>
        double.Parse(guest.Seen(@"^\[\s*(\d+\.\d+)\] " + message).Groups[1].Value, CultureInfo.InvariantCulture);

    private static string KiB(long bytes) => $"{bytes / 1024} KiB";

    private static string Summary(List<double> seconds) => $"median {Median(seconds):0.00}s, min {seconds.Min():0.00}s, max {seconds.Max():0.00}s";
}
