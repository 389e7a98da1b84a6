using Microsoft.Extensions.Logging;
using SmbRoot.Core.Dhcp;
using SmbRoot.Interop;
using SmbRoot.Logging;

namespace SmbRoot.Network;

/// <summary>
/// Guard mode's hold on the root's network: the interface stays up with its address and route
/// whatever the running system does (Slackware's rc.inet1 stop, `ip link set eth0 down`, a
/// network manager that flushes addresses), and PID 1 renews the DHCP and DHCPv6 leases itself
/// (a lease left to expire lets the server give the address to another machine). Nothing here
/// waits: the supervisor's poll loop calls <see cref="OnTimer"/> when <see cref="NextDeadline"/>
/// comes and <see cref="OnReadable"/> when <see cref="PollFd"/> or <see cref="PollFd6"/> has a packet.
/// </summary>
public sealed class NetworkGuard(ILogger log, RootNetwork network, string? hostName, TimeSpan now) : IDisposable
{
    private static readonly TimeSpan CheckInterval = TimeSpan.FromSeconds(1);
    private TimeSpan _nextCheck = now + CheckInterval;
    private readonly LeaseRenewal? _renewal = network.Lease is { } lease ? new LeaseRenewal(lease, now, () => (uint)Random.Shared.Next()) : null;
    private PacketSocket? _socket;
    private readonly Lease6Renewal? _renewal6 = network.Lease6 is { } lease6 ? new Lease6Renewal(lease6, now, () => (uint)Random.Shared.Next(1, 1 << 24)) : null;
    private Dhcp6Socket? _socket6;

    /// <summary>The lease as last renewed, for <c>init status</c>.</summary>
    public DhcpLease? Lease => _renewal?.Lease;

    /// <summary>The DHCP socket while a renewal waits for its answer; -1 otherwise.</summary>
    public int PollFd => _socket?.Fd ?? -1;

    /// <summary>The DHCPv6 socket while a renewal waits for its answer; -1 otherwise.</summary>
    public int PollFd6 => _socket6?.Fd ?? -1;

    public TimeSpan NextDeadline => Min(_nextCheck, Min(_renewal?.NextDeadline ?? TimeSpan.MaxValue, _renewal6?.NextDeadline ?? TimeSpan.MaxValue));

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    public void OnTimer(TimeSpan now)
    {
        if (now >= _nextCheck)
        {
            _nextCheck = now + CheckInterval;
            Check();
        }
        Renew6(now);
        if (_renewal?.Due(now) is not { } step) return;
        try
        {
            switch (step)
            {
                case LeaseRenewal.Step.Send send:
                    _socket ??= new PacketSocket(Interfaces.Index(network.Interface), network.Interface);
                    var current = _renewal.Lease.Address;
                    DhcpClient.Send(_socket, DhcpMessage.Renew(network.Mac!, send.TransactionId, current, hostName), current);
                    break;
                case LeaseRenewal.Step.GaveUp gaveUp:
                    CloseSocket();
                    log.Warn($"guard: the DHCP server {_renewal.Lease.Server} did not renew the lease on {_renewal.Lease.Address}; " +
                        $"keeping the address and asking again in {gaveUp.RetryIn.TotalSeconds:0}s");
                    break;
            }
        }
        catch (SysException e)
        {
            log.Warn($"guard: renewing the DHCP lease failed: {e.Message}");
        }
    }

    private void Renew6(TimeSpan now)
    {
        if (_renewal6?.Due(now) is not { } step) return;
        var lease = _renewal6.Lease;
        try
        {
            switch (step)
            {
                case Lease6Renewal.Step.Send send:
                    _socket6 ??= new Dhcp6Socket(Interfaces.Index(network.Interface), network.Interface);
                    _socket6.Send(Dhcp6Message.Renew(network.Mac!, send.TransactionId, TimeSpan.Zero, lease.ServerId, lease.Address));
                    break;
                case Lease6Renewal.Step.GaveUp gaveUp:
                    CloseSocket6();
                    log.Warn($"guard: the DHCPv6 server {lease.Server} did not renew the lease on {lease.Address}; " +
                        $"keeping the address and asking again in {gaveUp.RetryIn.TotalSeconds:0}s");
                    break;
            }
        }
        catch (SysException e)
        {
            log.Warn($"guard: renewing the DHCPv6 lease failed: {e.Message}");
        }
    }

    public void OnReadable(TimeSpan now)
    {
        OnReadable6(now);
        if (_socket is null || _renewal is null) return;
        while (_socket.Receive(TimeSpan.Zero) is { } packet)
        {
            if (DhcpMessage.TryReadReply(packet, network.Mac!) is not { } reply) continue;
            var offered = reply.YourAddress;
            switch (_renewal.OnReply(reply, now))
            {
                case LeaseRenewal.Result.Renewed:
                    log.Debug($"guard: DHCP lease renewed by {_renewal.Lease.Server} for {_renewal.Lease.LeaseTime.TotalSeconds:0}s");
                    CloseSocket();
                    return;
                case LeaseRenewal.Result.Refused:
                    log.Warn($"guard: the DHCP server refused to renew {_renewal.Lease.Address} (NAK); keeping the address and asking again in 30s");
                    CloseSocket();
                    return;
                case LeaseRenewal.Result.OtherAddress:
                    log.Warn($"guard: the DHCP server now offers {offered} instead of {_renewal.Lease.Address}; keeping the root's address");
                    CloseSocket();
                    return;
            }
        }
    }

    private void OnReadable6(TimeSpan now)
    {
        if (_socket6 is null || _renewal6 is null) return;
        while (_socket6.Receive(TimeSpan.Zero) is { } packet)
        {
            if (Dhcp6Message.TryRead(packet, network.Mac!) is not { } reply) continue;
            var held = _renewal6.Lease.Address;
            switch (_renewal6.OnReply(reply, now))
            {
                case Lease6Renewal.Result.Renewed:
                    log.Debug($"guard: DHCPv6 lease renewed by {_renewal6.Lease.Server} for {_renewal6.Lease.ValidLifetime.TotalSeconds:0}s");
                    CloseSocket6();
                    return;
                case Lease6Renewal.Result.Refused:
                    log.Warn($"guard: the DHCPv6 server refused to renew {held}; keeping the address and asking again in 30s");
                    CloseSocket6();
                    return;
                case Lease6Renewal.Result.OtherAddress:
                    log.Warn($"guard: the DHCPv6 server now gives another address instead of {held}; keeping the root's address");
                    CloseSocket6();
                    return;
            }
        }
    }

    /// <summary>
    /// Puts back what the system took away. rtnetlink answers in the sender's context
    /// (net/netlink/af_netlink.c, netlink_unicast_kernel), so these requests do not wait on the network.
    /// </summary>
    private void Check()
    {
        try
        {
            var repairs = network.Restore();
            var record = network.Record;
            if (repairs.LinkWasDown) log.Warn($"guard: something took {record.Interface} down under the root; brought it back up");
            foreach (var missing in repairs.AddressesMissing)
            {
                log.Warn($"guard: the root's address {missing.Address}/{missing.PrefixLength} was removed from {record.Interface}; put it back");
            }
            foreach (var gateway in repairs.RoutesMissing) log.Warn($"guard: the default route via {gateway} was gone; put it back");
        }
        catch (Exception e) when (e is SysException or IOException or FormatException)
        {
            log.Warn($"guard: checking {network.Interface} failed: {e.Message}");
        }
    }

    private void CloseSocket()
    {
        _socket?.Dispose();
        _socket = null;
    }

    private void CloseSocket6()
    {
        _socket6?.Dispose();
        _socket6 = null;
    }

    public void Dispose()
    {
        CloseSocket();
        CloseSocket6();
    }
}
