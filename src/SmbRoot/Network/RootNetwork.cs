using System.Net;
using SmbRoot.Core.Dhcp;
using SmbRoot.Core.Kernel;
using SmbRoot.Core.Netlink;
using SmbRoot.Core.State;
using SmbRoot.Interop;
using SmbRoot.Resources;

namespace SmbRoot.Network;

/// <summary>
/// Where the root's IPv6 address came from: ip= (address and gateway configured here), DHCPv6
/// (the address configured here, the route the router's), or router advertisements (SLAAC: both the kernel's).
/// </summary>
public enum Ipv6Origin { None, Static, Dhcp6, Router }

/// <summary>
/// The root's interface as the boot configured it, and the one way to put it back or take it
/// down. Used by the boot's undo, by guard mode's watch while the system runs and by the final
/// stage before and after it releases the share. What is missing is found with exclusive netlink
/// adds: EEXIST means it was there.
/// </summary>
public sealed class RootNetwork(NetworkRecord record) : IReleasedAtTheEnd
{
    private uint _sequence = 5000;

    public NetworkRecord Record => record;
    public Built ForFinalStage => new Built.Network(record);
    public string Interface => record.Interface;
    public string Name => "network " + record;

    /// <summary>Known during the boot and in guard mode; not in the final stage.</summary>
    public byte[]? Mac { get; init; }
    public DhcpLease? Lease { get; init; }
    public Dhcp6Lease? Lease6 { get; init; }
    public IReadOnlyList<IPAddress> DnsServers { get; init; } = [];

    /// <summary>The domain DHCP or DHCPv6 gave, tried after a server name without dots.</summary>
    public string? Domain { get; init; }

    /// <summary>Where the IPv6 address came from, which says what the boot configures itself.</summary>
    public Ipv6Origin Ipv6From { get; init; }

    /// <summary>What <see cref="Restore"/> found missing and put back.</summary>
    public readonly record struct Repairs(bool LinkWasDown, IReadOnlyList<InterfaceAddress> AddressesMissing, IReadOnlyList<IPAddress> RoutesMissing)
    {
        public bool Any => LinkWasDown || AddressesMissing.Count > 0 || RoutesMissing.Count > 0;
    }

    /// <summary>
    /// Addresses (permanent: the kernel never expires them, whatever the lease says) and default
    /// routes, as a fresh boot sets them. An IPv6 address is optimistic (RFC 4429): usable at once,
    /// while duplicate address detection still runs. SLAAC's address and route are the kernel's already.
    /// </summary>
    public void Configure()
    {
        int index = Index();
        foreach (var address in record.Addresses.Where(a => !IsV6(a) || Ipv6From != Ipv6Origin.Router))
        {
            Request(RouteMessages.AddAddress(index, address.Address, address.PrefixLength, _sequence, check: RouteMessages.DuplicateCheck.Optimistic),
                $"address {address.Address} on {record.Interface}");
        }
        // An IPv6 route comes from the router's advertisements unless ip= gave it.
        foreach (var gateway in record.Addresses.Where(a => !IsV6(a) || Ipv6From == Ipv6Origin.Static).Select(a => a.Gateway).OfType<IPAddress>())
        {
            Request(RouteMessages.AddRoute(index, gateway, null, 0, _sequence), $"default route via {gateway}");
        }
    }

    private static bool IsV6(InterfaceAddress address) => address.Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;

    /// <summary>
    /// Link up, addresses, default routes: each put back if it is gone. A link that goes down loses
    /// its routes (net/ipv4/fib_frontend.c, fib_disable_ip) and its IPv6 addresses
    /// (net/ipv6/addrconf.c, addrconf_ifdown), so those come back after the link. An IPv6 address
    /// put back skips duplicate address detection: it was this machine's a moment ago.
    /// </summary>
    public Repairs Restore()
    {
        int index = Index();
        int flags = int.Parse(File.ReadAllText($"/sys/class/net/{record.Interface}/flags").Trim()[2..], System.Globalization.NumberStyles.HexNumber);
        bool linkWasDown = (flags & (int)RouteMessages.IFF_UP) == 0;
        if (linkWasDown) Request(RouteMessages.SetLinkUp(index, true, _sequence), $"link up {record.Interface}");
        var addressesMissing = record.Addresses.Where(a => Added(RouteMessages.AddAddress(index, a.Address, a.PrefixLength, _sequence, exclusive: true,
            check: RouteMessages.DuplicateCheck.Skip), $"address {a.Address} on {record.Interface}")).ToList();
        var routesMissing = record.Addresses.Select(a => a.Gateway).OfType<IPAddress>()
            .Where(g => Added(RouteMessages.AddRoute(index, g, null, 0, _sequence, exclusive: true), $"default route via {g}")).ToList();
        return new Repairs(linkWasDown, addressesMissing, routesMissing);
    }

    /// <summary>The end: addresses off (if they are still there), link down.</summary>
    public void Release(Deadline deadline)
    {
        int index = Index();
        foreach (var address in record.Addresses)
        {
            try
            {
                Request(RouteMessages.DeleteAddress(index, address.Address, address.PrefixLength, _sequence), $"remove {address.Address} from {record.Interface}");
            }
            catch (SysException e) when (e.Errno == Errno.EADDRNOTAVAIL)
            {
                // Already gone.
            }
        }
        Request(RouteMessages.SetLinkUp(index, false, _sequence), $"link down {record.Interface}");
    }

    private int Index() => Interfaces.Index(record.Interface);

    private void Request(byte[] message, string what)
    {
        try { Sockets.RouteRequest(message, _sequence, what); }
        finally { _sequence++; }
    }

    /// <summary>True when the exclusive add succeeded, i.e. the thing had been missing.</summary>
    private bool Added(byte[] message, string what)
    {
        try
        {
            Request(message, what);
            return true;
        }
        catch (SysException e) when (e.Errno == Errno.EEXIST)
        {
            return false;
        }
    }
}
