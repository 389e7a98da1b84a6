using System.Net;
using SmbRoot.Core.Dhcp;
using SmbRoot.Core.Plan;
using SmbRoot.Core.State;
using SmbRoot.Interop;
using SmbRoot.Logging;
using SmbRoot.Network;

namespace SmbRoot.Boot.Steps;

/// <summary>
/// Step 4: load the drivers for the NICs that are there, pick the interface (BOOTIF=, the device
/// in ip=, or the first with a link), bring it up, and configure it from ip=, DHCP, router
/// advertisements (SLAAC) or DHCPv6, by rtnetlink.
/// </summary>
public static class NetworkStep
{
    private static readonly TimeSpan InterfaceWait = TimeSpan.FromSeconds(20), CarrierWait = TimeSpan.FromSeconds(15),
        DhcpWait = TimeSpan.FromSeconds(30), LinkLocalWait = TimeSpan.FromSeconds(10), RouterWait = TimeSpan.FromSeconds(3),
        InformationWait = TimeSpan.FromSeconds(6);

    /// <summary>Returns the configured network; <paramref name="made"/> gets it before its address is set, so a failure undoes the link too.</summary>
    public static RootNetwork Run(BootContext context, Made made)
    {
        var network = context.Plan.Network;
        uint sequence = 1;
        string name = Interfaces.Choose(context, InterfaceWait, CarrierWait, (build, what) => Request(build(sequence++), sequence - 1, what),
            network.HasIpv6 ? Ipv6Link.PrepareInterface : null);
        int index = Interfaces.Index(name);
        byte[] mac = Interfaces.Mac(name);

        InterfaceAddress? v4 = null;
        DhcpLease? lease = null;
        if (network.Method == AddressMethod.Dhcp)
        {
            lease = new DhcpClient(context.Log, name, index, mac, network.HostName).Obtain(DhcpWait);
            foreach (var note in lease.Notes) context.Log.Warn("dhcp: " + note);
            v4 = new InterfaceAddress(lease.Address, lease.PrefixLength, lease.Router);
            if ((network.HostName ?? lease.HostName) is { } h) Sys.SetHostName(h);
        }
        else if (network.Method == AddressMethod.Static && network.Address!.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
        {
            v4 = new InterfaceAddress(network.Address, network.PrefixLength, network.Gateway);
        }
        if (network.Method != AddressMethod.Dhcp && network.HostName is not null) Sys.SetHostName(network.HostName);

        var six = Ipv6(context, name, index, mac);
        var dns = new List<IPAddress>([.. network.DnsServers, .. lease?.DnsServers ?? [], .. six.Lease?.DnsServers ?? []]);
        string? domain = lease?.DomainName ?? six.Lease?.DomainName;
        if (six.Origin == Ipv6Origin.Router && dns.Count == 0 && context.Plan.Root.ServerAddress is null)
        {
            // SLAAC gives no DNS server that the kernel keeps (RDNSS goes to user space only): ask stateless DHCPv6.
            var information = new Dhcp6Client(context.Log, name, index, mac).Information(InformationWait);
            var notes = new List<string>();
            dns.AddRange(information is null ? [] : Dhcp6Lease.UsableDnsServers(information, notes));
            domain ??= information is null ? null : Dhcp6Lease.UsableDomain(information, notes);
            foreach (var note in notes) context.Log.Warn("dhcp6: " + note);
            context.Log.Say(information is null ? $"dhcp6: no DHCPv6 server told {name} a DNS server within {InformationWait.TotalSeconds:0}s"
                : $"dhcp6: DNS {(dns.Count == 0 ? "none" : string.Join(' ', dns))} from {Convert.ToHexString(information.ServerId!).ToLowerInvariant()}");
        }

        var root = new RootNetwork(new NetworkRecord(name, v4, six.Address))
            { Mac = mac, Lease = lease, Lease6 = six.Lease, Ipv6From = six.Origin, DnsServers = dns.Distinct().ToList(), Domain = domain };
        made.Add(root);
        try
        {
            root.Configure();
        }
        catch (SysException e)
        {
            throw new BootException($"network: configuring {root.Record} failed: {e.Message}", "the values in ip= (address, netmask, gateway inside the subnet)", inner: e);
        }
        if (v4 is not null)
        {
            context.Log.Say($"network: {name} is {v4.Address}/{v4.PrefixLength}" + (v4.Gateway is { } g ? $", gateway {g}" : "") +
                (lease is { } l ? $" (DHCP from {l.Server}, lease {l.LeaseTime.TotalSeconds:0}s)" : ""));
        }
        if (six.Address is { } v6)
        {
            context.Log.Say($"network: {name} is {v6.Address}/{v6.PrefixLength}" + (v6.Gateway is { } g ? $", gateway {g}" : ", no IPv6 default route (only servers on this link)") +
                six.Origin switch
                {
                    Ipv6Origin.Router => " (SLAAC)",
                    Ipv6Origin.Dhcp6 => $" (DHCPv6 from {six.Lease!.Server}, lease {six.Lease.ValidLifetime.TotalSeconds:0}s)",
                    _ => "",
                });
        }
        return root;
    }

    private readonly record struct Ipv6Result(InterfaceAddress? Address, Ipv6Origin Origin, Dhcp6Lease? Lease);

    /// <summary>The IPv6 address ip= asks for: static, from SLAAC, from DHCPv6, or whichever of the two comes first.</summary>
    private static Ipv6Result Ipv6(BootContext context, string name, int index, byte[] mac)
    {
        var network = context.Plan.Network;
        if (!network.HasIpv6) return new(null, Ipv6Origin.None, null);
        // The link-local address comes first (RFC 4862 5.3): DHCPv6 sends from it, and the route
        // to fe80::/64, for a server or gateway named by a link-local address, comes with it.
        Ipv6Link.WaitForAddress(context, name, global: false, LinkLocalWait);
        if (network.Method == AddressMethod.Static && network.Address!.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6)
        {
            return new(new InterfaceAddress(network.Address, network.PrefixLength, network.Gateway), Ipv6Origin.Static, null);
        }
        if (network.Ipv6 == Ipv6Method.Auto6) return Slaac(context, name, DhcpWait);

        bool SlaacDone() => network.Ipv6 == Ipv6Method.Either6 && Ipv6Link.Addresses(name).Any(a => a.IsGlobal && a.Ready);
        var lease6 = new Dhcp6Client(context.Log, name, index, mac).Obtain(DhcpWait, SlaacDone);
        if (lease6 is null) return Slaac(context, name, TimeSpan.Zero);
        foreach (var note in lease6.Notes) context.Log.Warn("dhcp6: " + note);
        // The router's advertisement gives the default route and the on-link prefix; it comes about
        // when the DHCPv6 answer does, so a short wait covers a slow one.
        var router = WaitForRouter(name, lease6.Address);
        return new(new InterfaceAddress(lease6.Address, Ipv6Link.OnLinkPrefix(name, lease6.Address), router), Ipv6Origin.Dhcp6, lease6);
    }

    private static Ipv6Result Slaac(BootContext context, string name, TimeSpan limit)
    {
        var address = Ipv6Link.WaitForAddress(context, name, global: true, limit)!;
        return new(new InterfaceAddress(address.Address, address.PrefixLength, Ipv6Link.DefaultRouter(name)), Ipv6Origin.Router, null);
    }

    private static IPAddress? WaitForRouter(string name, IPAddress address)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var router = Ipv6Link.DefaultRouter(name);
            if ((router is not null && Ipv6Link.OnLinkPrefix(name, address) < 128) || clock.Elapsed >= RouterWait) return router;
            Thread.Sleep(100);
        }
    }

    private static void Request(byte[] message, uint sequence, string what)
    {
        try
        {
            Sockets.RouteRequest(message, sequence, what);
        }
        catch (SysException e)
        {
            throw new BootException($"network: {what} failed: {e.Message}", "the values in ip= (address, netmask, gateway inside the subnet)", inner: e);
        }
    }
}
