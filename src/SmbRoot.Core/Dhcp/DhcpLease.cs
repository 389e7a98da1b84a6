using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace SmbRoot.Core.Dhcp;

/// <summary>What an ACK gives the boot: address, netmask, router, DNS servers, names and times.</summary>
public sealed record DhcpLease(
    IPAddress Address,
    int PrefixLength,
    IPAddress? Router,
    IReadOnlyList<IPAddress> DnsServers,
    string? DomainName,
    string? HostName,
    TimeSpan LeaseTime,
    TimeSpan RenewalTime,
    IPAddress Server) : ILease
{
    string ILease.ServerName => Server.ToString();
    TimeSpan ILease.Lifetime => LeaseTime;

    public static readonly TimeSpan DefaultLeaseTime = TimeSpan.FromHours(1);

    /// <summary>The soonest a renewal is asked for, whatever T1 or the lease time say (a lease of 0 s would mean a request a second).</summary>
    public static readonly TimeSpan ShortestRenewal = TimeSpan.FromSeconds(30);

    /// <summary>sethostname(2) takes at most HOST_NAME_MAX (64) bytes.</summary>
    public const int LongestHostName = 64;

    /// <summary>What the reply said that the lease does not follow, for the console.</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>The lease in an ACK (or the offer in an OFFER), or null when a required part is missing or malformed.</summary>
    public static DhcpLease? FromReply(DhcpMessage reply)
    {
        if (reply.Operation != DhcpMessage.BootReply) return null;
        var yours = reply.YourAddress;
        if (yours.Equals(IPAddress.Any) || yours.Equals(IPAddress.Broadcast)) return null;
        var options = reply.Options;
        IPAddress? Address(byte code) => options.TryGetValue(code, out var v) && v.Length >= 4 ? new IPAddress(v.AsSpan(0, 4)) : null;
        var server = Address(DhcpMessage.OptionServerId) ?? (reply.ServerAddress.Equals(IPAddress.Any) ? null : reply.ServerAddress);
        if (server is null) return null;

        int prefix = DefaultPrefix(yours);
        if (options.TryGetValue(DhcpMessage.OptionSubnetMask, out var mask) && mask.Length == 4)
        {
            uint bits = BinaryPrimitives.ReadUInt32BigEndian(mask);
            int ones = System.Numerics.BitOperations.LeadingZeroCount(~bits);
            if (ones == 0 || (ones < 32 && bits << ones != 0)) return null; // not a contiguous mask
            prefix = ones;
        }
        var dns = new List<IPAddress>();
        if (options.TryGetValue(DhcpMessage.OptionDnsServers, out var servers))
        {
            for (int i = 0; i + 4 <= servers.Length; i += 4) dns.Add(new IPAddress(servers.AsSpan(i, 4)));
        }
        var notes = new List<string>();
        var lease = Seconds(options, DhcpMessage.OptionLeaseTime) ?? DefaultLeaseTime;
        var renewal = Seconds(options, DhcpMessage.OptionRenewalTime) is { } t1 && t1 < lease ? t1 : lease / 2;
        if (renewal < ShortestRenewal)
        {
            notes.Add($"the lease is {lease.TotalSeconds:0}s; renewing every {ShortestRenewal.TotalSeconds:0}s, not sooner (the address is permanent here anyway)");
            renewal = ShortestRenewal;
        }
        var router = Address(DhcpMessage.OptionRouter);
        if (router is not null && !Plan.NetworkConfig.SameSubnet(yours, router, prefix))
        {
            notes.Add($"the router {router} is outside {yours}/{prefix}; ignoring it (no default route; the server must be on this subnet)");
            router = null;
        }
        string? hostName = Text(options, DhcpMessage.OptionHostName);
        if (hostName is null && options.ContainsKey(DhcpMessage.OptionHostName))
        {
            notes.Add("the host name from DHCP is not a host name (letters, digits, '-' and '.', at most 253 characters); ignoring it");
        }
        else if (hostName is { Length: > LongestHostName })
        {
            notes.Add($"the host name from DHCP is {hostName.Length} characters, more than the kernel's {LongestHostName}; ignoring it");
            hostName = null;
        }
        return new DhcpLease(yours, prefix, router, dns, Text(options, DhcpMessage.OptionDomainName), hostName, lease, renewal, server) { Notes = notes };
    }

    private static TimeSpan? Seconds(IReadOnlyDictionary<byte, byte[]> options, byte code) =>
        options.TryGetValue(code, out var v) && v.Length == 4 ? TimeSpan.FromSeconds(BinaryPrimitives.ReadUInt32BigEndian(v)) : null;

    /// <summary>A printable name, or null: names go into logs and the kernel's host name.</summary>
    private static string? Text(IReadOnlyDictionary<byte, byte[]> options, byte code)
    {
        if (!options.TryGetValue(code, out var v)) return null;
        string text = Encoding.ASCII.GetString(v).TrimEnd('\0');
        return text.Length is > 0 and <= 253 && text.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.') ? text : null;
    }

    private static int DefaultPrefix(IPAddress address)
    {
        byte first = address.GetAddressBytes()[0];
        return first < 128 ? 8 : first < 192 ? 16 : 24;
    }

    public override string ToString() =>
        $"{Address}/{PrefixLength}" + (Router is null ? "" : $" via {Router}") +
        (DnsServers.Count == 0 ? "" : $", dns {string.Join(' ', DnsServers)}") +
        $", lease {LeaseTime.TotalSeconds:0}s from {Server}";
}
