using System.Net;

namespace SmbRoot.Core.Dns;

/// <summary>
/// The order in which a dual-stack machine tries a server's addresses: RFC 6724's default policy
/// table (section 2.1), by precedence, as getaddrinfo(3) sorts them (rule 6). So a global IPv6
/// address comes before IPv4, and IPv4 before a unique local IPv6 address (fc00::/7), 6to4 or Teredo.
/// Addresses of equal precedence keep the DNS server's order.
/// </summary>
public static class AddressOrder
{
    public static IReadOnlyList<IPAddress> Sort(IEnumerable<IPAddress> addresses) =>
        addresses.Distinct().OrderByDescending(Precedence).ToList();

    /// <summary>The precedence of the longest matching prefix in the default policy table.</summary>
    public static int Precedence(IPAddress address)
    {
        if (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork || address.IsIPv4MappedToIPv6) return 35; // ::ffff:0:0/96
        var b = address.GetAddressBytes();
        if (address.Equals(IPAddress.IPv6Loopback)) return 50;
        if (b[0] == 0x20 && b[1] == 0x02) return 30; // 2002::/16, 6to4
        if (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0 && b[3] == 0) return 5; // 2001::/32, Teredo
        if ((b[0] & 0xFE) == 0xFC) return 3; // fc00::/7, unique local
        if (b.Take(12).All(x => x == 0)) return 1; // ::/96, IPv4-compatible
        if (b[0] == 0xFE && (b[1] & 0xC0) == 0xC0) return 1; // fec0::/10, site-local
        if (b[0] == 0x3F && b[1] == 0xFE) return 1; // 3ffe::/16, 6bone
        return 40; // ::/0
    }
}
