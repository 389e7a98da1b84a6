using SmbRoot.Core.Netlink;
using SmbRoot.Core.Plan;
using SmbRoot.Interop;
using SmbRoot.Logging;
using SmbRoot.Network;

namespace SmbRoot.Boot.Steps;

/// <summary>
/// Step 4: load the drivers for the NICs that are there, pick the interface (BOOTIF=, the device
/// in ip=, or the first with a link), bring it up, and configure it from ip= or DHCP by rtnetlink.
/// </summary>
public sealed class NetworkStep : IBootStep
{
    private static readonly TimeSpan InterfaceWait = TimeSpan.FromSeconds(20), CarrierWait = TimeSpan.FromSeconds(15),
        DhcpWait = TimeSpan.FromSeconds(30);
    private uint _sequence = 1;

    public string Name => "network";
    public bool Retryable => true;

    public void Run(BootContext context)
    {
        var network = context.Plan.Network;
        string name = Interfaces.Choose(context, InterfaceWait, CarrierWait, Request);
        context.Interface = name;
        context.InterfaceIndex = Interfaces.Index(name);
        context.Mac = Interfaces.Mac(name);

        if (network.Method == AddressMethod.Dhcp)
        {
            string? hostName = network.HostName;
            var lease = new DhcpClient(context.Log, name, context.InterfaceIndex, context.Mac, hostName).Obtain(DhcpWait);
            context.Lease = lease;
            context.Address = lease.Address;
            context.PrefixLength = lease.PrefixLength;
            context.Gateway = lease.Router;
            context.DnsServers = [.. network.DnsServers, .. lease.DnsServers];
            if ((network.HostName ?? lease.HostName) is { } h) Sys.SetHostName(h);
        }
        else
        {
            context.Address = network.Address;
            context.PrefixLength = network.PrefixLength;
            context.Gateway = network.Gateway;
            context.DnsServers = network.DnsServers;
            if (network.HostName is not null) Sys.SetHostName(network.HostName);
        }
        Apply(context);
        context.Log.Say($"network: {name} is {context.Address}/{context.PrefixLength}" + (context.Gateway is null ? "" : $", gateway {context.Gateway}") +
            (context.Lease is { } l ? $" (DHCP from {l.Server}, lease {l.LeaseTime.TotalSeconds:0}s)" : ""));
    }

    /// <summary>Address (permanent: the kernel never expires it, whatever the lease says) and default route.</summary>
    private void Apply(BootContext context)
    {
        Request(seq => RouteMessages.AddAddress(context.InterfaceIndex, context.Address!, context.PrefixLength, seq), $"address {context.Address} on {context.Interface}");
        if (context.Gateway is not null)
        {
            Request(seq => RouteMessages.AddRoute(context.InterfaceIndex, context.Gateway, null, 0, seq), $"default route via {context.Gateway}");
        }
    }

    public void Undo(BootContext context)
    {
        if (context.Interface is null || context.InterfaceIndex == 0) return;
        if (context.Address is not null)
        {
            try { Request(seq => RouteMessages.DeleteAddress(context.InterfaceIndex, context.Address, context.PrefixLength, seq), "remove address"); }
            catch (BootException e) { context.Log.Debug($"network undo: {e.Message}"); }
        }
        Request(seq => RouteMessages.SetLinkUp(context.InterfaceIndex, false, seq), $"link down {context.Interface}");
        context.Interface = null;
        context.Address = null;
        context.Lease = null;
    }

    /// <summary>One rtnetlink request, built for this step's next sequence number, and its acknowledgement.</summary>
    private void Request(Func<uint, byte[]> build, string what)
    {
        try
        {
            Sockets.RouteRequest(build(_sequence), _sequence, what);
        }
        catch (SysException e)
        {
            throw new BootException($"network: {what} failed: {e.Message}", "the values in ip= (address, netmask, gateway inside the subnet)", inner: e);
        }
        finally
        {
            _sequence++;
        }
    }
}
