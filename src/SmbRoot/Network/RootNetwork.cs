using System.Net;
using SmbRoot.Core.Netlink;
using SmbRoot.Core.Sys;
using SmbRoot.Interop;

namespace SmbRoot.Network;

/// <summary>
/// The root's interface as the boot configured it, and the one way to put it back or take it
/// down. Used by guard mode's watch while the system runs and by the final stage before it
/// releases the share. What is missing is found with exclusive netlink adds: EEXIST means it was there.
/// </summary>
public sealed class RootNetwork(string name, IPAddress address, int prefixLength, IPAddress? gateway)
{
    private uint _sequence = 5000;

    public string Name => name;

    /// <summary>What <see cref="Restore"/> found missing and put back.</summary>
    public readonly record struct Repairs(bool LinkWasDown, bool AddressWasMissing, bool RouteWasMissing)
    {
        public bool Any => LinkWasDown || AddressWasMissing || RouteWasMissing;
    }

    /// <summary>
    /// Link up, address, default route: each put back if it is gone. A link that goes down loses
    /// its routes (net/ipv4/fib_frontend.c, fib_disable_ip), so the route comes back after the link.
    /// </summary>
    public Repairs Restore()
    {
        int index = Index();
        int flags = int.Parse(File.ReadAllText($"/sys/class/net/{name}/flags").Trim()[2..], System.Globalization.NumberStyles.HexNumber);
        bool linkWasDown = (flags & (int)RouteMessages.IFF_UP) == 0;
        if (linkWasDown) Request(RouteMessages.SetLinkUp(index, true, _sequence), $"link up {name}");
        bool addressWasMissing = Added(RouteMessages.AddAddress(index, address, prefixLength, _sequence, exclusive: true), $"address {address} on {name}");
        bool routeWasMissing = gateway is not null && Added(RouteMessages.AddRoute(index, gateway, null, 0, _sequence, exclusive: true), $"default route via {gateway}");
        return new Repairs(linkWasDown, addressWasMissing, routeWasMissing);
    }

    /// <summary>The end: address off, link down.</summary>
    public void Down()
    {
        int index = Index();
        Request(RouteMessages.DeleteAddress(index, address, prefixLength, _sequence), $"remove {address} from {name}");
        Request(RouteMessages.SetLinkUp(index, false, _sequence), $"link down {name}");
    }

    private int Index() => Interfaces.Index(name);

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
