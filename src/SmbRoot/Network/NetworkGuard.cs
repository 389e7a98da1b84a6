using System.Diagnostics;
using SmbRoot.Boot;
using SmbRoot.Interop;
using SmbRoot.Logging;

namespace SmbRoot.Network;

/// <summary>
/// Guard mode's hold on the root's network: the interface stays up with its address and route
/// whatever the running system does (Slackware's rc.inet1 stop, `ip link set eth0 down`, a
/// network manager that flushes addresses), and the DHCP lease is renewed by PID 1 itself.
/// </summary>
public sealed class NetworkGuard(BootContext context)
{
    private readonly Stopwatch _sinceLease = Stopwatch.StartNew();
    private readonly Stopwatch _sinceCheck = Stopwatch.StartNew();
    private TimeSpan _nextRenewal = context.Lease?.RenewalTime ?? TimeSpan.MaxValue;
    private RootNetwork? _root;

    public void Check()
    {
        if (context.Interface is not { } name || context.Address is null) return;
        if (_sinceCheck.Elapsed < TimeSpan.FromSeconds(1)) return;
        _sinceCheck.Restart();
        try
        {
            _root ??= new RootNetwork(name, context.Address, context.PrefixLength, context.Gateway);
            var repairs = _root.Restore();
            if (repairs.LinkWasDown) context.Log.Warn($"guard: something took {name} down under the root; brought it back up");
            if (repairs.AddressWasMissing) context.Log.Warn($"guard: the root's address {context.Address}/{context.PrefixLength} was removed from {name}; put it back");
            if (repairs.RouteWasMissing) context.Log.Warn($"guard: the default route via {context.Gateway} was gone; put it back");
            RenewIfDue(name);
        }
        catch (Exception e) when (e is SysException or IOException or FormatException)
        {
            context.Log.Warn($"guard: checking {name} failed: {e.Message}");
        }
    }

    private void RenewIfDue(string name)
    {
        if (context.Lease is not { } lease || _sinceLease.Elapsed < _nextRenewal) return;
        var renewed = new DhcpClient(context.Log, name, context.InterfaceIndex, context.Mac!, context.Plan.Network.HostName).Renew(lease);
        if (renewed is not null && renewed.Address.Equals(lease.Address))
        {
            context.Lease = renewed;
            _sinceLease.Restart();
            _nextRenewal = renewed.RenewalTime;
            context.Log.Debug($"guard: DHCP lease renewed by {renewed.Server} for {renewed.LeaseTime.TotalSeconds:0}s");
            return;
        }
        // The address stays: it is permanent in the kernel, and the root depends on it. Ask again later.
        _nextRenewal = _sinceLease.Elapsed + TimeSpan.FromSeconds(30);
        context.Log.Warn(renewed is null
            ? $"guard: the DHCP server {lease.Server} did not renew the lease on {lease.Address}; keeping the address and asking again in 30s"
            : $"guard: the DHCP server now offers {renewed.Address} instead of {lease.Address}; keeping the root's address");
    }
}
