using SmbRoot.Core.Plan;
using SmbRoot.Core.State;
using SmbRoot.Interop;
using SmbRoot.Logging;
using SmbRoot.Network;

namespace SmbRoot.Boot.Steps;

/// <summary>
/// Step 4: load the drivers for the NICs that are there, pick the interface (BOOTIF=, the device
/// in ip=, or the first with a link), bring it up, and configure it from ip= or DHCP by rtnetlink.
/// </summary>
public static class NetworkStep
{
    private static readonly TimeSpan InterfaceWait = TimeSpan.FromSeconds(20), CarrierWait = TimeSpan.FromSeconds(15),
        DhcpWait = TimeSpan.FromSeconds(30);

    /// <summary>Returns the configured network; <paramref name="made"/> gets it before its address is set, so a failure undoes the link too.</summary>
    public static RootNetwork Run(BootContext context, Made made)
    {
        var network = context.Plan.Network;
        uint sequence = 1;
        string name = Interfaces.Choose(context, InterfaceWait, CarrierWait, (build, what) => Request(build(sequence++), sequence - 1, what));
        int index = Interfaces.Index(name);
        byte[] mac = Interfaces.Mac(name);

        RootNetwork root;
        if (network.Method == AddressMethod.Dhcp)
        {
            var lease = new DhcpClient(context.Log, name, index, mac, network.HostName).Obtain(DhcpWait);
            foreach (var note in lease.Notes) context.Log.Warn("dhcp: " + note);
            root = new RootNetwork(new NetworkRecord(name, lease.Address, lease.PrefixLength, lease.Router))
                { Mac = mac, Lease = lease, DnsServers = [.. network.DnsServers, .. lease.DnsServers] };
            if ((network.HostName ?? lease.HostName) is { } h) Sys.SetHostName(h);
        }
        else
        {
            root = new RootNetwork(new NetworkRecord(name, network.Address!, network.PrefixLength, network.Gateway))
                { Mac = mac, DnsServers = network.DnsServers };
            if (network.HostName is not null) Sys.SetHostName(network.HostName);
        }
        made.Add(root);
        try
        {
            root.Configure();
        }
        catch (SysException e)
        {
            throw new BootException($"network: configuring {root.Record} failed: {e.Message}", "the values in ip= (address, netmask, gateway inside the subnet)", inner: e);
        }
        context.Log.Say($"network: {name} is {root.Record.Address}/{root.Record.PrefixLength}" + (root.Record.Gateway is { } g ? $", gateway {g}" : "") +
            (root.Lease is { } l ? $" (DHCP from {l.Server}, lease {l.LeaseTime.TotalSeconds:0}s)" : ""));
        return root;
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
