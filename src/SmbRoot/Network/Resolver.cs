using System.Net;
using SmbRoot.Boot;
using SmbRoot.Core.Dns;
using SmbRoot.Interop;

namespace SmbRoot.Network;

/// <summary>
/// A small stub resolver: A records over UDP from the DNS servers DHCP or ip= gave, each asked
/// in turn with a 2 s timeout, three rounds. Enough to find the SMB server; no cache, no search
/// list beyond the DHCP domain.
/// </summary>
public static class Resolver
{
    public static IPAddress Resolve(string name, IReadOnlyList<IPAddress> servers, string? domain)
    {
        if (servers.Count == 0)
        {
            throw new BootException($"root=: the server '{name}' is a name, and there is no DNS server to ask",
                "a DHCP server that hands out DNS servers (option 6), the dns0 field of ip=, or the server's address in root=", permanent: true);
        }
        var names = new List<string> { name };
        if (!name.Contains('.') && domain is not null) names.Add(name + "." + domain);
        string lastProblem = "no answer";
        for (int round = 0; round < 3; round++)
        {
            foreach (var candidate in names)
            {
                foreach (var server in servers)
                {
                    ushort id = (ushort)Random.Shared.Next(1, ushort.MaxValue);
                    byte[]? reply;
                    try { reply = Sockets.UdpExchange(server, 53, DnsMessage.QueryA(id, candidate), TimeSpan.FromSeconds(2)); }
                    catch (SysException e) { lastProblem = $"asking {server} failed: {e.Message}"; continue; }
                    if (reply is null) { lastProblem = $"no answer from {server}"; continue; }
                    var (status, addresses) = DnsMessage.TryReadAddresses(reply, id, candidate);
                    if (status == DnsMessage.Status.Addresses && addresses.Count > 0) return addresses[0];
                    lastProblem = status switch
                    {
                        DnsMessage.Status.NoSuchName => $"{server} says {candidate} does not exist",
                        DnsMessage.Status.Addresses => $"{server} has no A record for {candidate}",
                        DnsMessage.Status.ServerFailure => $"{server} failed to answer for {candidate}",
                        DnsMessage.Status.UnusableAddresses => $"{server} answered {candidate} with {string.Join(", ", addresses)}, which cannot be a file server",
                        DnsMessage.Status.NotAnswer => $"{server} sent an answer to another question, or a malformed one",
                        _ => $"{server} sent a malformed answer",
                    };
                }
            }
        }
        throw new BootException($"cannot resolve the server name '{name}': {lastProblem}",
            $"the name in root= and the DNS servers {string.Join(", ", servers)}");
    }
}
