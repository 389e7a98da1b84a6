using System.Globalization;

namespace SmbRoot.Lab;

/// <summary>
/// ./build.sh bench cost: what one boot costs the server, by smbd's own counters (<see cref="SmbProfile"/>):
/// a read-write image, and a golden image with a tmpfs layer booted twice (the second from the
/// server's page cache), each from boot to power-off; and what each further mebibyte the machine
/// reads costs (64 MiB read once the system runs), since the lab's busybox root reads far less at
/// boot than a distribution does. Then the model the README gives.
/// </summary>
public static class CostBenchmark
{
    private const int ReadMiB = 64;
    private const string BigFile = "/big";

    /// <summary>What the server did: SMB2 requests, bytes clients read and wrote, smbd's CPU seconds.</summary>
    private sealed record Cost(long Requests, long Read, long Written, double Cpu)
    {
        public static Cost Of(SmbProfile profile) => new(profile.Smb2Requests, profile.BytesRead, profile.BytesWritten, profile.CpuSeconds);
        public static Cost operator +(Cost a, Cost b) => new(a.Requests + b.Requests, a.Read + b.Read, a.Written + b.Written, a.Cpu + b.Cpu);
    }

    public static void Measure(Lab lab)
    {
        const string readWrite = "cost/rw.img", golden = "cost/golden.img";
        var big = new Dictionary<string, byte[]> { [BigFile] = RandomBytes(ReadMiB << 20) };
        lab.AddImage(readWrite, "ext4", extraFiles: big);
        lab.AddImage(golden, "ext4", extraFiles: big);
        string initrd = lab.InitramfsWithCredentials();
        var rows = new List<(string Name, Cost Boot, Cost Read, SmbProfile Reading)>
        {
            Boot(lab, initrd, "read-write image, cold server cache", lab.CommandLine(readWrite), dropCaches: true),
            Boot(lab, initrd, "golden + tmpfs layer, cold", lab.CommandLine(golden, "ro rd.overlay=tmpfs:size=64M"), dropCaches: true),
            Boot(lab, initrd, "golden + tmpfs layer, warm (2nd machine)", lab.CommandLine(golden, "ro rd.overlay=tmpfs:size=64M"), dropCaches: false),
        };
        Console.WriteLine();
        Console.WriteLine($"the server's cost of one boot (boot to power-off) and of each MiB the machine reads after it ({ReadMiB} MiB with cat), by smbd's own counters (smbd profiling level = on):");
        Console.WriteLine($"  {"boot",-42} {"SMB2 requests",13} {"read MiB",9} {"written MiB",12} {"smbd CPU s",11}   per MiB read: {"requests",8} {"CPU ms",7}");
        foreach (var (name, boot, read, _) in rows)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  {name,-42} {boot.Requests,13} {boot.Read / 1048576.0,9:0.0} {boot.Written / 1048576.0,12:0.0} {boot.Cpu,11:0.00}   {"",13} {read.Requests / (double)ReadMiB,8:0.0} {read.Cpu * 1000 / ReadMiB,7:0.0}"));
        }
        Console.WriteLine($"  the requests while the {ReadMiB} MiB were read, by command, and the mean size of a read:");
        foreach (var (name, _, read, reading) in rows)
        {
            long reads = reading["smb2_read_count"];
            Console.WriteLine($"    {name,-42} {string.Join(", ", reading.RequestsByCommand().Take(5).Select(c => $"{c.Command} {c.Count}"))}; " +
                $"{(reads == 0 ? 0 : read.Read / reads / 1024)} KiB a read");
        }
        // The model: extrapolated from the figures above for a root that reads more at boot; not measured at that scale.
        const double linkMiBPerMinute = 10e9 / 8 / 1048576 * 60, cores = 16;
        Console.WriteLine($"  model (extrapolated): boots a minute one server allows, for a root that reads R MiB at boot, by a 10 GbE link at line rate and by {cores} cores of smbd's CPU:");
        foreach (var (name, boot, read, _) in rows)
        {
            string Allowed(double mib)
            {
                double byLink = linkMiBPerMinute / (boot.Read / 1048576.0 + mib);
                double byCpu = 60 * cores / (boot.Cpu + mib * read.Cpu / ReadMiB);
                return string.Create(CultureInfo.InvariantCulture, $"R={mib:0}: {byLink:0} by the link, {byCpu:0} by the CPU");
            }
            Console.WriteLine($"    {name,-42} {Allowed(100)}; {Allowed(300)}");
        }
    }

    private static (string, Cost, Cost, SmbProfile) Boot(Lab lab, string initrd, string name, string commandLine, bool dropCaches)
    {
        if (dropCaches)
        {
            Shell.Run("sync");
            File.WriteAllText("/proc/sys/vm/drop_caches", "3");
        }
        var start = lab.Samba.Profile();
        SmbProfile ready, read;
        using (var guest = lab.Boot(initrd, commandLine))
        {
            guest.WaitFor(RootImage.ReadyMarker, TimeSpan.FromMinutes(4));
            Thread.Sleep(1000); // the prompt
            ready = lab.Samba.Profile();
            guest.Type($"cat {BigFile} > /dev/null; echo READ-DONE");
            guest.WaitFor("^READ-DONE", TimeSpan.FromMinutes(5));
            read = lab.Samba.Profile();
            guest.Type($"{RootImage.ControlClient} relinquish --poweroff");
            if (!guest.WaitForExit(TimeSpan.FromMinutes(3))) throw new TimeoutException($"{name}: the guest did not power off");
        }
        lab.Samba.WaitUntilReleased(TimeSpan.FromSeconds(30));
        var end = lab.Samba.Profile();
        return (name, Cost.Of(ready.Since(start)) + Cost.Of(end.Since(read)), Cost.Of(read.Since(ready)), read.Since(ready));
    }

    private static byte[] RandomBytes(int count)
    {
        var bytes = new byte[count];
        new Random(24).NextBytes(bytes);
        return bytes;
    }
}
