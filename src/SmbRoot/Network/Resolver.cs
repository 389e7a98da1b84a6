using System.Net;
using SmbRoot.Boot;
using SmbRoot.Core.Dns;
using SmbRoot.Interop;

namespace SmbRoot.Network;

/// <summary>
/// A small stub resolver: A and AAAA records over UDP from the DNS servers DHCP, DHCPv6 or ip=
/// gave, each asked in turn with a 2 s timeout, three rounds. Enough to find the SMB server; no
/// cache, no search list beyond the DHCP domain. Only the families the machine has an address of
/// are asked for, and the answers come back in RFC 6724's order (<see cref="AddressOrder"/>).
/// </summary>
public static class Resolver
{
    public static IReadOnlyList<IPAddress> Resolve(string name, IReadOnlyList<IPAddress> servers, string? domain, bool ipv4, bool ipv6)
    {
        if (servers.Count == 0)
        {
            throw new BootException($"root=: the server '{name}' is a name, and there is no DNS server to ask",
                "a DHCP or DHCPv6 server that hands out DNS servers, the dns0 field of ip=, or the server's address in root=", permanent: true);
        }
        var names = new List<string> { name };
        if (!name.Contains('.') && domain is not null && DnsMessage.IsName(name + "." + domain)) names.Add(name + "." + domain);
        var types = new[] { (ipv4, DnsMessage.RecordType.A), (ipv6, DnsMessage.RecordType.Aaaa) }.Where(t => t.Item1).Select(t => t.Item2).ToList();
        string lastProblem = "no answer";
        for (int round = 0; round < 3; round++)
        {
            foreach (var candidate in names)
            {
                var found = new List<IPAddress>();
                foreach (var type in types)
                {
                    var (addresses, problem) = Ask(candidate, type, servers);
                    found.AddRange(addresses);
                    if (problem is not null) lastProblem = problem;
                }
                if (found.Count > 0) return AddressOrder.Sort(found);
            }
        }
        throw new BootException($"cannot resolve the server name '{name}': {lastProblem}",
            $"the name in root= and the DNS servers {string.Join(", ", servers)}");
    }

    /// <summary>The first server's answer with addresses, or none and what went wrong last.</summary>
    private static (IReadOnlyList<IPAddress> Addresses, string? Problem) Ask(string candidate, DnsMessage.RecordType type, IReadOnlyList<IPAddress> servers)
    {
        string record = type == DnsMessage.RecordType.A ? "A" : "AAAA";
        string? lastProblem = null;
        foreach (var server in servers)
        {
            ushort id = (ushort)Random.Shared.Next(1, ushort.MaxValue);
            byte[]? reply;
            try { reply = Sockets.UdpExchange(server, 53, DnsMessage.Query(id, candidate, type), TimeSpan.FromSeconds(2)); }
            catch (SysException e) { lastProblem = $"asking {server} failed: {e.Message}"; continue; }
            if (reply is null) { lastProblem = $"no answer from {server}"; continue; }
            var (status, addresses) = DnsMessage.TryReadAddresses(reply, id, candidate, type);
            if (status == DnsMessage.Status.Addresses && addresses.Count > 0) return (addresses, null);
            lastProblem = status switch
            {
                DnsMessage.Status.NoSuchName => $"{server} says {candidate} does not exist",
                DnsMessage.Status.Addresses => $"{server} has no {record} record for {candidate}",
                DnsMessage.Status.ServerFailure => $"{server} failed to answer for {candidate}",
                DnsMessage.Status.UnusableAddresses => $"{server} answered {candidate} with {string.Join(", ", addresses)}, which cannot be a file server",
                DnsMessage.Status.NotAnswer => $"{server} sent an answer to another question, or a malformed one",
                _ => $"{server} sent a malformed answer",
            };
        }
        return ([], lastProblem);
    }
}
