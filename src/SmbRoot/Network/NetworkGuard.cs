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
    private readonly LeaseKeeper<DhcpLease, DhcpMessage, PacketSocket>? _lease = network.Lease is { } lease
        ? new(log, "DHCP", new LeaseRenewal(lease, now, () => (uint)Random.Shared.Next()),
            () => new PacketSocket(Interfaces.Index(network.Interface), network.Interface),
            (socket, xid, held) => DhcpClient.Send(socket, DhcpMessage.Renew(network.Mac!, xid, held.Address, hostName), held.Address),
            packet => DhcpMessage.TryReadReply(packet, network.Mac!))
        : null;

    private readonly LeaseKeeper<Dhcp6Lease, Dhcp6Message, Dhcp6Socket>? _lease6 = network.Lease6 is { } lease6
        ? new(log, "DHCPv6", new Lease6Renewal(lease6, now, () => (uint)Random.Shared.Next(1, 1 << 24)),
            () => new Dhcp6Socket(Interfaces.Index(network.Interface), network.Interface),
            (socket, xid, held) => socket.Send(Dhcp6Message.Renew(network.Mac!, xid, TimeSpan.Zero, held.ServerId, held.Address)),
            packet => Dhcp6Message.TryRead(packet, network.Mac!))
        : null;

    /// <summary>The lease as last renewed, for <c>init status</c>.</summary>
    public DhcpLease? Lease => _lease?.Lease;

    /// <summary>The DHCP socket while a renewal waits for its answer; -1 otherwise.</summary>
    public int PollFd => _lease?.PollFd ?? -1;

    /// <summary>The DHCPv6 socket while a renewal waits for its answer; -1 otherwise.</summary>
    public int PollFd6 => _lease6?.PollFd ?? -1;

    public TimeSpan NextDeadline => Min(_nextCheck, Min(_lease?.NextDeadline ?? TimeSpan.MaxValue, _lease6?.NextDeadline ?? TimeSpan.MaxValue));

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    public void OnTimer(TimeSpan now)
    {
        if (now >= _nextCheck)
        {
            _nextCheck = now + CheckInterval;
            Check();
        }
        _lease?.OnTimer(now);
        _lease6?.OnTimer(now);
    }

    public void OnReadable(TimeSpan now)
    {
        _lease?.OnReadable(now);
        _lease6?.OnReadable(now);
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

    public void Dispose()
    {
        _lease?.Dispose();
        _lease6?.Dispose();
    }
}
