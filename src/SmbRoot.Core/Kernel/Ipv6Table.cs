using System.Globalization;
using System.Net;

namespace SmbRoot.Core.Kernel;

/// <summary>One line of /proc/net/if_inet6: an IPv6 address on an interface, with the kernel's flags.</summary>
public sealed record Ipv6Address(IPAddress Address, int InterfaceIndex, int PrefixLength, int Scope, int Flags, string Interface)
{
    // include/uapi/linux/if_addr.h; the scope is the kernel's IPV6_ADDR_* class (include/net/ipv6.h), not RFC 4291's.
    private const int IFA_F_DADFAILED = 0x08, IFA_F_OPTIMISTIC = 0x04, IFA_F_TENTATIVE = 0x40, ScopeGlobal = 0x00, ScopeLink = 0x20;

    /// <summary>Duplicate address detection is still running: the kernel will not send from it yet (unless it is optimistic).</summary>
    public bool Tentative => (Flags & IFA_F_TENTATIVE) != 0 && (Flags & IFA_F_OPTIMISTIC) == 0;

    /// <summary>Another machine on the link has this address (RFC 4862 5.4.5): never usable.</summary>
    public bool DadFailed => (Flags & IFA_F_DADFAILED) != 0;

    public bool IsGlobal => Scope == ScopeGlobal;
    public bool IsLinkLocal => Scope == ScopeLink;

    /// <summary>Usable as a source address: not tentative, no duplicate found.</summary>
    public bool Ready => !Tentative && !DadFailed;
}

/// <summary>One line of /proc/net/ipv6_route: destination, next hop, flags, interface.</summary>
public sealed record Ipv6Route(IPAddress Destination, int PrefixLength, IPAddress NextHop, uint Flags, string Interface)
{
    private const uint RTF_UP = 0x1, RTF_GATEWAY = 0x2; // include/uapi/linux/route.h

    /// <summary>::/0 through a router.</summary>
    public bool IsDefault => PrefixLength == 0 && (Flags & (RTF_UP | RTF_GATEWAY)) == (RTF_UP | RTF_GATEWAY);
}

/// <summary>
/// Reads the kernel's IPv6 tables in /proc/net (net/ipv6/addrconf.c, if6_seq_show; net/ipv6/route.c,
/// ipv6_route_native_seq_show): 32 hex digits per address, then hex fields. A line that does not
/// parse is skipped, never an exception: the files are the kernel's, but this is still input.
/// </summary>
public static class Ipv6Table
{
    public static IReadOnlyList<Ipv6Address> ParseAddresses(string text)
    {
        var addresses = new List<Ipv6Address>();
        foreach (var line in text.Split('\n'))
        {
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length != 6 || Address(f[0]) is not { } address || !Hex(f[1], out uint index) || !Hex(f[2], out uint prefix) || prefix > 128
                || !Hex(f[3], out uint scope) || !Hex(f[4], out uint flags))
            {
                continue;
            }
            addresses.Add(new Ipv6Address(address, (int)Math.Min(index, int.MaxValue), (int)prefix, (int)Math.Min(scope, int.MaxValue), (int)Math.Min(flags, int.MaxValue), f[5]));
        }
        return addresses;
    }

    public static IReadOnlyList<Ipv6Route> ParseRoutes(string text)
    {
        var routes = new List<Ipv6Route>();
        foreach (var line in text.Split('\n'))
        {
            var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (f.Length != 10 || Address(f[0]) is not { } destination || !Hex(f[1], out uint prefix) || prefix > 128
                || Address(f[4]) is not { } nextHop || !Hex(f[8], out uint flags))
            {
                continue;
            }
            routes.Add(new Ipv6Route(destination, (int)prefix, nextHop, flags, f[9]));
        }
        return routes;
    }

    private static IPAddress? Address(string hex) =>
        hex.Length == 32 && hex.All(char.IsAsciiHexDigit) ? new IPAddress(Convert.FromHexString(hex)) : null;

    private static bool Hex(string text, out uint value) =>
        uint.TryParse(text, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out value);
}
