using System.Diagnostics;
using System.Net;
using SmbRoot.Boot;
using SmbRoot.Core.Kernel;
using SmbRoot.Interop;
using SmbRoot.Logging;

namespace SmbRoot.Network;

/// <summary>
/// The kernel's IPv6 state of the root's interface, read from /proc/net/if_inet6 and
/// /proc/net/ipv6_route, and the waits on it: SLAAC is the kernel's work (net/ipv6/addrconf.c,
/// addrconf_prefix_rcv); the boot only watches it.
/// </summary>
public static class Ipv6Link
{
    /// <summary>
    /// Optimistic duplicate address detection (RFC 4429) on an interface before it comes up, so
    /// the boot does not pay the check twice, once for the link-local address and once for the
    /// global one: each address is usable at once while the kernel still checks it, and a
    /// duplicate still fails it (ip-sysctl.rst, optimistic_dad and use_optimistic).
    /// </summary>
    public static void PrepareInterface(string name)
    {
        string directory = $"/proc/sys/net/ipv6/conf/{name}";
        if (!Directory.Exists(directory))
        {
            throw new BootException($"network: IPv6 was asked for (ip=), and the kernel has no IPv6 on {name}",
                "ipv6.disable=1 on the kernel command line, or a kernel without CONFIG_IPV6", permanent: true);
        }
        foreach (var setting in new[] { "optimistic_dad", "use_optimistic", "accept_ra" })
        {
            try { KernelSetting.Write($"{directory}/{setting}", "1"); }
            catch (SysException e) when (e.Errno == Errno.ENOENT) { } // a kernel without CONFIG_IPV6_OPTIMISTIC_DAD: DAD is paid in full
        }
    }

    public static IReadOnlyList<Ipv6Address> Addresses(string name) =>
        Ipv6Table.ParseAddresses(Read("/proc/net/if_inet6")).Where(a => a.Interface == name).ToList();

    /// <summary>The router of the default route on <paramref name="name"/> (a link-local address), or null.</summary>
    public static IPAddress? DefaultRouter(string name) =>
        Ipv6Table.ParseRoutes(Read("/proc/net/ipv6_route")).FirstOrDefault(r => r.Interface == name && r.IsDefault)?.NextHop;

    /// <summary>The on-link prefix the router announced that holds <paramref name="address"/> (for a DHCPv6 address), or 128.</summary>
    public static int OnLinkPrefix(string name, IPAddress address) =>
        Ipv6Table.ParseRoutes(Read("/proc/net/ipv6_route"))
            .Where(r => r.Interface == name && !r.IsDefault && r.PrefixLength is > 0 and < 128 && r.NextHop.Equals(IPAddress.IPv6Any) && Contains(r.Destination, r.PrefixLength, address))
            .Select(r => r.PrefixLength).DefaultIfEmpty(128).Max();

    private static bool Contains(IPAddress network, int prefix, IPAddress address)
    {
        var n = network.GetAddressBytes();
        var a = address.GetAddressBytes();
        for (int bit = 0; bit < prefix; bit++)
        {
            int mask = 0x80 >> (bit % 8);
            if ((n[bit / 8] & mask) != (a[bit / 8] & mask)) return false;
        }
        return true;
    }

    private static string Read(string path)
    {
        try { return File.ReadAllText(path); }
        catch (IOException) { return ""; }
    }

    /// <summary>
    /// Waits for a global (or link-local, <paramref name="global"/> false) address on <paramref name="name"/> that the kernel
    /// sends from, saying on the console what it waits for. <paramref name="alsoDone"/> ends the
    /// wait early (null result) when it returns true. A duplicate found on the link fails at once.
    /// </summary>
    public static Ipv6Address? WaitForAddress(BootContext context, string name, bool global, TimeSpan limit, Func<bool>? alsoDone = null)
    {
        string what = global ? "a global IPv6 address from router advertisements (SLAAC)" : "its IPv6 link-local address";
        var clock = Stopwatch.StartNew();
        var nextReport = TimeSpan.FromSeconds(3);
        while (true)
        {
            var addresses = Addresses(name).Where(a => global ? a.IsGlobal : a.IsLinkLocal).ToList();
            if (addresses.FirstOrDefault(a => a.DadFailed) is { } duplicate && addresses.All(a => !a.Ready))
            {
                throw new BootException($"network: another machine on the link has {duplicate.Address}, so {name} cannot use it (duplicate address detection)",
                    "the other machine with this address: a cloned MAC, or a static address given twice", permanent: true);
            }
            if (addresses.FirstOrDefault(a => a.Ready) is { } ready) return ready;
            if (alsoDone?.Invoke() == true) return null;
            if (clock.Elapsed >= limit)
            {
                throw new BootException($"network: no {what} on {name} within {limit.TotalSeconds:0}s",
                    global ? "that a router on this link sends router advertisements with an autonomous prefix (radvd, dnsmasq enable-ra), or use ip=dhcp6"
                        : "the link, and the kernel log for IPv6 errors");
            }
            if (clock.Elapsed >= nextReport)
            {
                context.Log.Say($"network: waiting for {what} on {name} ({(limit - clock.Elapsed).TotalSeconds:0}s left)");
                nextReport = clock.Elapsed + TimeSpan.FromSeconds(5);
            }
            Thread.Sleep(100);
        }
    }
}
