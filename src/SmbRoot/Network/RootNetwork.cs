using System.Net;
using SmbRoot.Core.Dhcp;
using SmbRoot.Core.Kernel;
using SmbRoot.Core.Netlink;
using SmbRoot.Core.State;
using SmbRoot.Interop;
using SmbRoot.Resources;

namespace SmbRoot.Network;

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
    public IReadOnlyList<IPAddress> DnsServers { get; init; } = [];

    /// <summary>What <see cref="Restore"/> found missing and put back.</summary>
    public readonly record struct Repairs(bool LinkWasDown, bool AddressWasMissing, bool RouteWasMissing)
    {
        public bool Any => LinkWasDown || AddressWasMissing || RouteWasMissing;
    }

    /// <summary>Address (permanent: the kernel never expires it, whatever the lease says) and default route, as a fresh boot sets them.</summary>
    public void Configure()
    {
        int index = Index();
        Request(RouteMessages.AddAddress(index, record.Address, record.PrefixLength, _sequence), $"address {record.Address} on {record.Interface}");
        if (record.Gateway is { } gateway) Request(RouteMessages.AddRoute(index, gateway, null, 0, _sequence), $"default route via {gateway}");
    }

    /// <summary>
    /// Link up, address, default route: each put back if it is gone. A link that goes down loses
    /// its routes (net/ipv4/fib_frontend.c, fib_disable_ip), so the route comes back after the link.
    /// </summary>
    public Repairs Restore()
    {
        int index = Index();
        int flags = int.Parse(File.ReadAllText($"/sys/class/net/{record.Interface}/flags").Trim()[2..], System.Globalization.NumberStyles.HexNumber);
        bool linkWasDown = (flags & (int)RouteMessages.IFF_UP) == 0;
        if (linkWasDown) Request(RouteMessages.SetLinkUp(index, true, _sequence), $"link up {record.Interface}");
        bool addressWasMissing = Added(RouteMessages.AddAddress(index, record.Address, record.PrefixLength, _sequence, exclusive: true), $"address {record.Address} on {record.Interface}");
        bool routeWasMissing = record.Gateway is { } gateway && Added(RouteMessages.AddRoute(index, gateway, null, 0, _sequence, exclusive: true), $"default route via {gateway}");
        return new Repairs(linkWasDown, addressWasMissing, routeWasMissing);
    }

    /// <summary>The end: address off (if it is still there), link down.</summary>
    public void Release(Deadline deadline)
    {
        int index = Index();
        try
        {
            Request(RouteMessages.DeleteAddress(index, record.Address, record.PrefixLength, _sequence), $"remove {record.Address} from {record.Interface}");
        }
        catch (SysException e) when (e.Errno == Errno.EADDRNOTAVAIL)
        {
            // Already gone.
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
