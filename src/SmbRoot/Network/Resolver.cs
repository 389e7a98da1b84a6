using System.Net;
using SmbRoot.Boot;
using SmbRoot.Core.Dns;
using Tmds.Linux;
using static Tmds.Linux.LibC;

namespace SmbRoot.Network;

/// <summary>
/// A small stub resolver: A records over UDP from the DNS servers DHCP or ip= gave, each asked
/// in turn with a 2 s timeout, three rounds. Enough to find the SMB server; no cache, no search
/// list beyond the DHCP domain.
/// </summary>
public static unsafe class Resolver
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
                    var reply = Ask(server, DnsMessage.QueryA(id, candidate), TimeSpan.FromSeconds(2));
                    if (reply is null) { lastProblem = $"no answer from {server}"; continue; }
                    var (status, addresses) = DnsMessage.TryReadAddresses(reply, id);
                    if (status == DnsMessage.Status.Addresses && addresses.Count > 0) return addresses[0];
                    lastProblem = status switch
                    {
                        DnsMessage.Status.NoSuchName => $"{server} says {candidate} does not exist",
                        DnsMessage.Status.Addresses => $"{server} has no A record for {candidate}",
                        DnsMessage.Status.ServerFailure => $"{server} failed to answer for {candidate}",
                        _ => $"{server} sent a malformed answer",
                    };
                }
            }
        }
        throw new BootException($"cannot resolve the server name '{name}': {lastProblem}",
            $"the name in root= and the DNS servers {string.Join(", ", servers)}");
    }

    private static byte[]? Ask(IPAddress server, byte[] query, TimeSpan timeout)
    {
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        if (fd < 0) return null;
        try
        {
            var address = new sockaddr_in { sin_family = AF_INET, sin_port = htons(53) };
            var bytes = server.GetAddressBytes();
            for (int i = 0; i < 4; i++) address.sin_addr.s_addr[i] = bytes[i];
            if (connect(fd, (sockaddr*)&address, (uint)sizeof(sockaddr_in)) < 0) return null;
            fixed (byte* q = query) if ((long)send(fd, q, query.Length, 0) < 0) return null;
            var pfd = new pollfd { fd = fd, events = POLLIN };
            if (poll(&pfd, 1, (int)timeout.TotalMilliseconds) <= 0) return null;
            var buffer = new byte[1500];
            long received;
            fixed (byte* b = buffer) received = recv(fd, b, buffer.Length, 0);
            return received <= 0 ? null : buffer[..(int)received];
        }
        finally
        {
            close(fd);
        }
    }
}
