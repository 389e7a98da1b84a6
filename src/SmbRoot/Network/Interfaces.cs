using System.Diagnostics;
using SmbRoot.Boot;
using SmbRoot.Core.Netlink;
using SmbRoot.Logging;

namespace SmbRoot.Network;

/// <summary>Which interface carries the root, found the way the issue of several NICs asks: BOOTIF=, ip='s device, or the first with a link.</summary>
public static class Interfaces
{
    public static IEnumerable<string> All() =>
        Directory.Exists("/sys/class/net")
            ? Directory.GetDirectories("/sys/class/net").Select(Path.GetFileName).OfType<string>()
                .Where(n => n != "lo" && File.Exists($"/sys/class/net/{n}/address")).Order(StringComparer.Ordinal)
            : [];

    public static int Index(string name) => int.Parse(File.ReadAllText($"/sys/class/net/{name}/ifindex").Trim());

    public static byte[] Mac(string name) =>
        File.ReadAllText($"/sys/class/net/{name}/address").Trim().Split(':').Select(b => Convert.ToByte(b, 16)).ToArray();

    public static string MacText(byte[] mac) => string.Join(':', mac.Select(b => b.ToString("x2")));

    public static bool HasCarrier(string name)
    {
        try { return File.ReadAllText($"/sys/class/net/{name}/carrier").Trim() == "1"; }
        catch (IOException) { return false; } // EINVAL while the link is down
    }

    private static string Describe(string name) => $"{name} ({File.ReadAllText($"/sys/class/net/{name}/address").Trim()})";

    /// <summary>
    /// Loads drivers for the devices present (again and again: devices appear as drivers load),
    /// picks the interface, brings it up and waits for its link, saying on the console what it waits for.
    /// </summary>
    /// <param name="beforeUp">what must be set on an interface before it comes up (IPv6's settings take effect on NETDEV_UP)</param>
    public static string Choose(BootContext context, TimeSpan interfaceWait, TimeSpan carrierWait, Action<Func<uint, byte[]>, string> request,
        Action<string>? beforeUp = null)
    {
        var plan = context.Plan;
        string? bootMac = plan.BootInterface is { } b ? MacText(b) : null;
        string wanted = bootMac is not null ? $"the NIC with MAC {bootMac} (BOOTIF)"
            : plan.Network.Device is { } d ? $"interface {d} (ip=)" : "a network interface with a link";
        var raised = new HashSet<string>();
        var clock = Stopwatch.StartNew();
        var nextReport = TimeSpan.FromSeconds(2);
        var limit = interfaceWait + carrierWait;
        while (true)
        {
            int driversTried = context.Modules.LoadForDevices();
            var present = All().ToList();
            var candidates = bootMac is not null
                ? present.Where(n => File.ReadAllText($"/sys/class/net/{n}/address").Trim() == bootMac).ToList()
                : plan.Network.Device is { } device ? present.Where(n => n == device).ToList()
                : present;
            foreach (var name in candidates.Where(raised.Add))
            {
                // A link is only visible on an interface that is up.
                beforeUp?.Invoke(name);
                request(seq => RouteMessages.SetLinkUp(Index(name), true, seq), $"link up {name}");
            }
            if (candidates.FirstOrDefault(HasCarrier) is { } chosen)
            {
                foreach (var other in raised.Where(n => n != chosen && present.Contains(n)))
                {
                    request(seq => RouteMessages.SetLinkUp(Index(other), false, seq), $"link down {other}");
                }
                if (present.Count > 1) context.Log.Say($"network: using {Describe(chosen)} of {string.Join(", ", present.Select(Describe))}");
                return chosen;
            }
            if (clock.Elapsed >= limit) break;
            if (clock.Elapsed >= nextReport)
            {
                context.Log.Say($"network: waiting for {wanted} ({(limit - clock.Elapsed).TotalSeconds:0}s left; " +
                    $"interfaces: {(present.Count == 0 ? "none yet" : string.Join(", ", present.Select(n => $"{n}{(HasCarrier(n) ? "" : " no link")}")))})");
                nextReport += TimeSpan.FromSeconds(5);
            }
            // A driver that just loaded may have brought new devices (virtio_pci brings virtio0, which
            // wants virtio_net): look again at once; wait only when nothing new turned up.
            if (driversTried == 0) Thread.Sleep(200);
        }
        var all = All().ToList();
        if (all.Count == 0)
        {
            throw new BootException("no network interface appeared",
                "the NIC's driver: is it in the initramfs (./build.sh --nic DRIVER, or without --nic for the common ones)? dmesg lists the devices the kernel found");
        }
        throw new BootException($"found no {wanted} with a link within {limit.TotalSeconds:0}s",
            $"the cable, the switch port or the VM's network backend, and BOOTIF=/ip=; the interfaces here are {string.Join(", ", all.Select(n => Describe(n) + (HasCarrier(n) ? "" : " no link")))}");
    }
}
