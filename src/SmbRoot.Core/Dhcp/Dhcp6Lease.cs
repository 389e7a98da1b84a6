using System.Net;
using SmbRoot.Core.Dns;

namespace SmbRoot.Core.Dhcp;

/// <summary>What a DHCPv6 REPLY gives the boot: one address, the DNS servers and domain, and when to renew.</summary>
public sealed record Dhcp6Lease(
    IPAddress Address,
    IReadOnlyList<IPAddress> DnsServers,
    string? DomainName,
    TimeSpan ValidLifetime,
    TimeSpan RenewalTime,
    byte[] ServerId) : ILease
{
    string ILease.ServerName => Server;
    TimeSpan ILease.Lifetime => ValidLifetime;

    /// <summary>What the reply said that the lease does not follow, for the console.</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    /// <summary>The server's DUID as the console shows it: hex, at most 20 bytes of it.</summary>
    public string Server => Convert.ToHexString(ServerId.AsSpan(0, Math.Min(ServerId.Length, 20))).ToLowerInvariant() + (ServerId.Length > 20 ? "..." : "");

    /// <summary>
    /// The lease in a REPLY (or the offer in an ADVERTISE), or null with the reason: a status
    /// other than success, no address for this client's IA_NA, an address no client can use, or
    /// lifetimes RFC 8415 21.6 says to discard (preferred longer than valid, valid 0).
    /// </summary>
    public static Dhcp6Lease? FromReply(Dhcp6Message reply, out string refusal)
    {
        refusal = "";
        if (reply.Status is { } status && status != Dhcp6Message.Success)
        {
            refusal = $"the server answered with status {status}";
            return null;
        }
        if (reply.Association is not { } association || association.Status is not (null or Dhcp6Message.Success) || association.Address is not { } leased)
        {
            refusal = reply.Association?.Status is { } iaStatus and not Dhcp6Message.Success
                ? $"the server has no address for this machine (status {iaStatus})" : "the answer holds no address for this machine";
            return null;
        }
        if (!DnsMessage.IsUsable(leased.Address))
        {
            refusal = $"the server offered {leased.Address}, which no machine can use as its address";
            return null;
        }
        if (leased.ValidLifetime == 0 || leased.PreferredLifetime > leased.ValidLifetime)
        {
            refusal = $"the server offered {leased.Address} with lifetimes preferred {leased.PreferredLifetime}s, valid {leased.ValidLifetime}s, which RFC 8415 says to discard";
            return null;
        }
        var notes = new List<string>();
        var valid = Lifetime(leased.ValidLifetime);
        // T1 0 leaves the time to the client (RFC 8415 21.4): half the preferred lifetime, as for a T1 past T2.
        var renewal = Lifetime(association.T1);
        if (association.T1 == 0 || (association.T2 != 0 && association.T1 > association.T2))
        {
            if (association.T1 != 0) notes.Add($"T1 {association.T1}s is after T2 {association.T2}s; renewing at half the preferred lifetime");
            renewal = Lifetime(leased.PreferredLifetime) / 2;
        }
        if (renewal < DhcpLease.ShortestRenewal)
        {
            notes.Add($"the server asks for a renewal after {renewal.TotalSeconds:0}s; renewing every {DhcpLease.ShortestRenewal.TotalSeconds:0}s, not sooner (the address is permanent here anyway)");
            renewal = DhcpLease.ShortestRenewal;
        }
        var dns = UsableDnsServers(reply, notes);
        string? domain = UsableDomain(reply, notes);
        return new Dhcp6Lease(leased.Address, dns, domain, valid, renewal, reply.ServerId!) { Notes = notes };
    }

    /// <summary>The DNS servers of a REPLY that a machine can ask; a note names the rest.</summary>
    public static IReadOnlyList<IPAddress> UsableDnsServers(Dhcp6Message reply, List<string> notes)
    {
        var dns = reply.DnsServers.Where(DnsMessage.IsUsable).ToList();
        if (dns.Count < reply.DnsServers.Count) notes.Add($"ignoring DNS servers no machine can ask: {string.Join(", ", reply.DnsServers.Except(dns))}");
        return dns;
    }

    /// <summary>The first name of the reply's domain list that is a host name; a note when there is none.</summary>
    public static string? UsableDomain(Dhcp6Message reply, List<string> notes)
    {
        string? domain = reply.Domains.FirstOrDefault(d => d.Length <= 253 && d.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.'));
        if (domain is null && reply.Domains.Count > 0) notes.Add("the domain list from DHCPv6 holds no host name; ignoring it");
        return domain;
    }

    /// <summary>0xffffffff is infinity (RFC 8415 7.7); as a TimeSpan it is simply very long.</summary>
    private static TimeSpan Lifetime(uint seconds) => TimeSpan.FromSeconds(seconds);

    public override string ToString() =>
        $"{Address}" + (DnsServers.Count == 0 ? "" : $", dns {string.Join(' ', DnsServers)}") + $", lease {ValidLifetime.TotalSeconds:0}s from {Server}";
}
