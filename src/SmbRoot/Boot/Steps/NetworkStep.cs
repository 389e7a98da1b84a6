using System.Diagnostics;
using SmbRoot.Core.Netlink;
using SmbRoot.Interop;
using SmbRoot.Logging;

namespace SmbRoot.Boot.Steps;

/// <summary>Step 4: wait for the interface and its link, then set the address and routes by rtnetlink.</summary>
public sealed class NetworkStep : IBootStep
{
    private static readonly TimeSpan InterfaceWait = TimeSpan.FromSeconds(20), CarrierWait = TimeSpan.FromSeconds(15);
    private uint _sequence = 1;

    public string Name => "network";
    public bool Retryable => true;

    public void Run(BootContext context)
    {
        var network = context.Plan.Network;
        string name = WaitFor(context, InterfaceWait, network.Device is null ? "a network interface" : $"interface {network.Device}",
            () => network.Device is null ? FirstInterface() : Directory.Exists("/sys/class/net/" + network.Device) ? network.Device : null)
            ?? throw new BootException(
                network.Device is null ? "no network interface appeared" : $"interface {network.Device} (from ip=) did not appear",
                network.Device is null
                    ? "the NIC's driver: is it in the initramfs (./build.sh --module DRIVER)? dmesg lists the devices the kernel found"
                    : "the device field of ip=: the interfaces present are " + string.Join(", ", Interfaces().DefaultIfEmpty("none")));
        context.Interface = name;
        context.InterfaceIndex = int.Parse(File.ReadAllText($"/sys/class/net/{name}/ifindex").Trim());

        Request(RouteMessages.SetLinkUp(context.InterfaceIndex, true, _sequence), $"link up {name}");
        if (WaitFor(context, CarrierWait, $"a link on {name}", () => HasCarrier(name) ? name : null) is null)
        {
            throw new BootException($"{name} has no link (no carrier) after {CarrierWait.TotalSeconds:0}s", "the cable, the switch port, or the VM's network backend");
        }
        Request(RouteMessages.AddAddress(context.InterfaceIndex, network.Address, network.PrefixLength, _sequence), $"address {network.Address} on {name}");
        if (network.Gateway is not null)
        {
            Request(RouteMessages.AddRoute(context.InterfaceIndex, network.Gateway, null, 0, _sequence), $"default route via {network.Gateway}");
        }
        if (network.HostName is not null) Sys.SetHostName(network.HostName);
        context.Log.Say($"network: {name} is {network.Address}/{network.PrefixLength}" + (network.Gateway is null ? "" : $", gateway {network.Gateway}"));
    }

    public void Undo(BootContext context)
    {
        if (context.Interface is null || context.InterfaceIndex == 0) return;
        var network = context.Plan.Network;
        try { Request(RouteMessages.DeleteAddress(context.InterfaceIndex, network.Address, network.PrefixLength, _sequence), "remove address"); }
        catch (SysException e) { context.Log.Debug($"network undo: {e.Message}"); }
        Request(RouteMessages.SetLinkUp(context.InterfaceIndex, false, _sequence), $"link down {context.Interface}");
        context.Interface = null;
    }

    private void Request(byte[] message, string what)
    {
        try
        {
            Sockets.RouteRequest(message, _sequence, what);
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

    private static IEnumerable<string> Interfaces() =>
        Directory.Exists("/sys/class/net")
            ? Directory.GetDirectories("/sys/class/net").Select(Path.GetFileName).OfType<string>().Where(n => n != "lo").Order(StringComparer.Ordinal)
            : [];

    private static string? FirstInterface() => Interfaces().FirstOrDefault();

    private static bool HasCarrier(string name)
    {
        try { return File.ReadAllText($"/sys/class/net/{name}/carrier").Trim() == "1"; }
        catch (IOException) { return false; } // EINVAL while the link is down
    }

    /// <summary>Polls <paramref name="probe"/> until it answers or the time is up, saying on the console what it waits for.</summary>
    private static string? WaitFor(BootContext context, TimeSpan limit, string what, Func<string?> probe)
    {
        var clock = Stopwatch.StartNew();
        var nextReport = TimeSpan.FromSeconds(2);
        while (true)
        {
            if (probe() is { } found) return found;
            if (clock.Elapsed >= limit) return null;
            if (clock.Elapsed >= nextReport)
            {
                context.Log.Say($"waiting for {what} ({(limit - clock.Elapsed).TotalSeconds:0}s left)");
                nextReport += TimeSpan.FromSeconds(5);
            }
            Thread.Sleep(100);
        }
    }
}
