using System.Diagnostics;
using Microsoft.Extensions.Logging;
using SmbRoot.Core.Dhcp;
using SmbRoot.Interop;
using SmbRoot.Logging;

namespace SmbRoot.Network;

/// <summary>
/// DHCPv6 (RFC 8415): SOLICIT with Rapid Commit, then ADVERTISE and REQUEST when the server does
/// not commit at once, and REPLY. Retransmission starts at 1 s and doubles to 16 s, as the DHCPv4
/// client does, with progress on the console. Also the INFORMATION-REQUEST that asks only for DNS.
/// </summary>
public sealed class Dhcp6Client(ILogger log, string interfaceName, int interfaceIndex, byte[] mac)
{
    /// <summary>
    /// A lease, or null when <paramref name="alsoDone"/> said true first (SLAAC won, for ip=either6).
    /// Gives up at <paramref name="limit"/>; the caller's rd.retry does the rest.
    /// </summary>
    public Dhcp6Lease? Obtain(TimeSpan limit, Func<bool>? alsoDone = null)
    {
        using var socket = new Dhcp6Socket(interfaceIndex, interfaceName);
        var clock = Stopwatch.StartNew();
        var wait = TimeSpan.FromSeconds(1);
        var nextReport = TimeSpan.FromSeconds(3);
        uint xid = NewTransaction();
        while (clock.Elapsed < limit)
        {
            socket.Send(Dhcp6Message.Solicit(mac, xid, clock.Elapsed));
            // An answer without an address for this machine (NoAddrsAvail from a stateless server) is
            // ignored, and the wait for a better one goes on until the retransmission (RFC 8415 18.2.1).
            var answer = Await(socket, xid, wait, alsoDone, a => (a.Type == Dhcp6MessageType.Advertise || a.RapidCommit) && Lease(a) is not null);
            if (alsoDone?.Invoke() == true) return null;
            if (answer is not null && Lease(answer) is { } offered)
            {
                if (answer.Type == Dhcp6MessageType.Reply) return offered;
                log.Debug($"dhcp6: offer of {offered.Address} from {offered.Server}");
                uint requestId = NewTransaction();
                socket.Send(Dhcp6Message.Request(mac, requestId, clock.Elapsed, offered.ServerId, offered.Address));
                var reply = Await(socket, requestId, TimeSpan.FromSeconds(4), alsoDone,
                    a => a.Type == Dhcp6MessageType.Reply && a.ServerId!.AsSpan().SequenceEqual(offered.ServerId) && Lease(a) is not null);
                if (reply is not null && Lease(reply) is { } lease) return lease;
                log.Warn($"dhcp6: no usable answer from {offered.Server} to the request for {offered.Address}; starting over");
                xid = NewTransaction();
                continue;
            }
            if (clock.Elapsed >= nextReport)
            {
                log.Say($"dhcp6: waiting for a DHCPv6 server on {interfaceName} ({(limit - clock.Elapsed).TotalSeconds:0}s left)");
                nextReport = clock.Elapsed + TimeSpan.FromSeconds(5);
            }
            wait = TimeSpan.FromSeconds(Math.Min(wait.TotalSeconds * 2, 16));
        }
        throw new Boot.BootException($"no DHCPv6 server answered on {interfaceName} within {limit.TotalSeconds:0}s",
            "that a DHCPv6 server serves this link (and this machine's DUID, 00030001 and the MAC), or use ip=auto6 or a static [address]");
    }

    /// <summary>DNS servers and domain from any DHCPv6 server (stateless DHCPv6), or null when none answers within <paramref name="limit"/>.</summary>
    public Dhcp6Message? Information(TimeSpan limit)
    {
        using var socket = new Dhcp6Socket(interfaceIndex, interfaceName);
        var clock = Stopwatch.StartNew();
        var wait = TimeSpan.FromSeconds(1);
        uint xid = NewTransaction();
        while (clock.Elapsed < limit)
        {
            socket.Send(Dhcp6Message.InformationRequest(mac, xid, clock.Elapsed));
            var remaining = limit - clock.Elapsed;
            if (Await(socket, xid, wait < remaining ? wait : remaining, null, a => a.Type == Dhcp6MessageType.Reply) is { } reply) return reply;
            wait = TimeSpan.FromSeconds(Math.Min(wait.TotalSeconds * 2, 16));
        }
        return null;
    }

    private static uint NewTransaction() => (uint)Random.Shared.Next(1, 1 << 24);

    private readonly HashSet<string> _refusalsSaid = [];

    /// <summary>The lease in an answer, or null with a warning (once for each server and reason).</summary>
    private Dhcp6Lease? Lease(Dhcp6Message answer)
    {
        var lease = Dhcp6Lease.FromReply(answer, out string refusal);
        string said = $"dhcp6: ignoring an answer from {Convert.ToHexString(answer.ServerId!).ToLowerInvariant()}: {refusal}";
        if (lease is null && _refusalsSaid.Add(said)) log.Warn(said);
        return lease;
    }

    /// <summary>
    /// The first answer for <paramref name="xid"/> to this machine that is <paramref name="wanted"/>,
    /// or null after <paramref name="timeout"/> (checking <paramref name="alsoDone"/> every 100 ms).
    /// </summary>
    private Dhcp6Message? Await(Dhcp6Socket socket, uint xid, TimeSpan timeout, Func<bool>? alsoDone, Func<Dhcp6Message, bool> wanted)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            var slice = timeout - clock.Elapsed;
            if (alsoDone is not null && slice > TimeSpan.FromMilliseconds(100)) slice = TimeSpan.FromMilliseconds(100);
            var packet = socket.Receive(slice);
            if (packet is null)
            {
                if (alsoDone?.Invoke() == true) return null;
                continue;
            }
            if (Dhcp6Message.TryRead(packet, mac) is { } answer && answer.TransactionId == xid && wanted(answer)) return answer;
        }
        return null;
    }
}
