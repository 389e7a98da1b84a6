using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace SmbRoot.Core.Plan;

/// <summary>How the IPv4 address comes (or the static address of either family): <see cref="None"/> is an IPv6-only boot.</summary>
public enum AddressMethod { Static, Dhcp, None }

/// <summary>
/// How the IPv6 address comes, in dracut's names: <see cref="Auto6"/> is SLAAC from router
/// advertisements (the kernel does it), <see cref="Dhcp6"/> DHCPv6, <see cref="Either6"/> whichever
/// of the two answers first.
/// </summary>
public enum Ipv6Method { None, Auto6, Dhcp6, Either6 }

/// <summary>
/// The network from the kernel's <c>ip=</c> syntax (a static configuration of either family, or
/// DHCP) and dracut's IPv6 modes, alone or beside DHCP for a dual stack (<c>ip=dhcp,auto6</c>).
/// </summary>
public sealed record NetworkConfig(
    AddressMethod Method,
    IPAddress? Address,
    int PrefixLength,
    IPAddress? Gateway,
    IPAddress? Peer,
    string? HostName,
    string? Device,
    IReadOnlyList<IPAddress> DnsServers)
{
    public Ipv6Method Ipv6 { get; init; }

    /// <summary>The boot configures an IPv4 address.</summary>
    public bool HasIpv4 => Method == AddressMethod.Dhcp || (Method == AddressMethod.Static && Address!.AddressFamily == AddressFamily.InterNetwork);

    /// <summary>The boot configures an IPv6 address.</summary>
    public bool HasIpv6 => Ipv6 != Ipv6Method.None || (Method == AddressMethod.Static && Address!.AddressFamily == AddressFamily.InterNetworkV6);

    public override string ToString() =>
        string.Join(" + ", new[]
        {
            Method switch { AddressMethod.Dhcp => "DHCP", AddressMethod.Static => $"{Address}/{PrefixLength}", _ => null },
            Ipv6 switch { Ipv6Method.Auto6 => "SLAAC", Ipv6Method.Dhcp6 => "DHCPv6", Ipv6Method.Either6 => "SLAAC or DHCPv6", _ => null },
        }.OfType<string>()) + $" on {Device ?? "the first interface with a link"}" +
        (Gateway is null ? "" : $" via {Gateway}") +
        (HostName is null ? "" : $", host name {HostName}") +
        (DnsServers.Count == 0 ? "" : $", dns {string.Join(' ', DnsServers)}");

    private static readonly string[] DhcpModes = ["dhcp", "on", "any", "both", "bootp"];
    private static readonly string[] UnsupportedModes = ["rarp", "ibft", "link6", "single-dhcp"];
    private static readonly string[] StaticModes = ["", "off", "none", "static"];

    private static Ipv6Method? Ipv6Mode(string mode) => mode switch
    {
        "auto6" => Ipv6Method.Auto6,
        "dhcp6" => Ipv6Method.Dhcp6,
        "either6" => Ipv6Method.Either6,
        _ => null,
    };

    /// <summary>DHCP on whichever interface has a link: what dracut does for a network root without ip=.</summary>
    public static readonly NetworkConfig AnyDhcp = new(AddressMethod.Dhcp, null, 0, null, null, null, null, []);

    /// <summary>
    /// Parses <c>ip=client:peer:gateway:netmask:hostname:device:autoconf:dns0:dns1</c>
    /// (Documentation/admin-guide/nfs/nfsroot.rst) with IPv6 addresses in brackets (dracut's
    /// <c>ip=[2001:db8::5]::[2001:db8::1]:64::eth0:off</c>), the short forms <c>ip=dhcp</c>,
    /// <c>ip=eth0:auto6</c> and <c>ip=dhcp,dhcp6</c> (dracut: a comma-separated list of at most
    /// one IPv4 and one IPv6 mode), and no ip= at all, which means DHCP.
    /// </summary>
    public static NetworkConfig Parse(string? value)
    {
        const string staticExample = "ip=192.0.2.10::192.0.2.1:255.255.255.0:myhost:eth0:off";
        if (value is null) return AnyDhcp;
        if (!value.Contains('[') && IPAddress.TryParse(value, out var bare) && bare.AddressFamily == AddressFamily.InterNetworkV6)
        {
            throw new PlanException($"ip={value}: an IPv6 address goes in brackets, e.g. ip=[{bare}]::[2001:db8::1]:64::eth0:off");
        }
        var fields = SplitFields(value);
        if (fields.Count <= 2)
        {
            string mode = fields[^1].ToLowerInvariant();
            string? shortDevice = fields.Count == 2 ? fields[0] : null;
            if (mode is "off" or "none")
            {
                throw new PlanException($"ip={value}: the root is on the network, so the network must be configured; use ip=dhcp or a static address, e.g. {staticExample}");
            }
            if (mode.Split(',').All(m => DhcpModes.Contains(m) || UnsupportedModes.Contains(m) || Ipv6Mode(m) is not null))
            {
                var (shortDhcp, shortIpv6) = Modes(mode, value);
                return AnyDhcp with { Method = shortDhcp ? AddressMethod.Dhcp : AddressMethod.None, Device = CheckDevice(shortDevice, value), Ipv6 = shortIpv6 };
            }
        }
        if (fields.Count > 10)
        {
            throw new PlanException($"ip={value}: too many fields ({fields.Count}); expected client:peer:gateway:netmask:hostname:device:autoconf:dns0:dns1:ntp0");
        }
        string Field(int i) => i < fields.Count ? fields[i] : "";

        string autoconf = Field(6).ToLowerInvariant();
        var (dhcp, ipv6) = Modes(autoconf, value);
        string? hostName = CheckHostName(Field(4).Length == 0 ? null : Field(4), value);
        string? device = CheckDevice(Field(5).Length == 0 ? null : Field(5), value);
        var dns = new List<IPAddress>();
        if (Field(7).Length > 0) dns.Add(ParseAddress(Field(7), "dns0", value));
        if (Field(8).Length > 0) dns.Add(ParseAddress(Field(8), "dns1", value));
        if (dhcp || (ipv6 == Ipv6Method.None && autoconf.Length == 0 && Field(0).Length == 0))
        {
            // The kernel's rule: with no client address, autoconfiguration (nfsroot.rst, "<autoconf>").
            return new NetworkConfig(AddressMethod.Dhcp, null, 0, null, null, hostName, device, dns) { Ipv6 = ipv6 };
        }
        if (Field(0).Length == 0)
        {
            if (ipv6 != Ipv6Method.None) return new NetworkConfig(AddressMethod.None, null, 0, null, null, hostName, device, dns) { Ipv6 = ipv6 };
            throw new PlanException($"ip={value}: no client address in the first field; expected e.g. {staticExample}");
        }
        var address = ParseAddress(Field(0), "client address", value);
        bool v6 = address.AddressFamily == AddressFamily.InterNetworkV6;
        if (v6 && ipv6 != Ipv6Method.None)
        {
            throw new PlanException($"ip={value}: a static IPv6 address goes with autoconf off, not {autoconf}");
        }
        var peer = Field(1).Length == 0 ? null : ParseAddress(Field(1), "server address", value, address.AddressFamily);
        var gateway = Field(2).Length == 0 ? null : ParseAddress(Field(2), "gateway", value, address.AddressFamily);
        int prefix = Field(3).Length == 0 ? (v6 ? 64 : ClassfulPrefix(address)) : ParseNetmask(Field(3), value, v6);
        if (gateway is not null && !v6 && !SameSubnet(address, gateway, prefix))
        {
            throw new PlanException($"ip={value}: gateway {gateway} is not inside {address}/{prefix}; check the netmask");
        }
        if (gateway is not null && v6 && gateway.IsIPv6LinkLocal && device is null)
        {
            throw new PlanException($"ip={value}: the link-local gateway {gateway} needs the interface in the device field");
        }
        return new NetworkConfig(AddressMethod.Static, address, prefix, gateway, peer, hostName, device, dns) { Ipv6 = ipv6 };
    }

    /// <summary>
    /// The autoconf field as a list: whether it asks for DHCP (IPv4), and which IPv6 mode. A static
    /// mode (off, none, empty) is neither.
    /// </summary>
    private static (bool Dhcp, Ipv6Method Ipv6) Modes(string autoconf, string value)
    {
        bool dhcp = false;
        var ipv6 = Ipv6Method.None;
        var modes = autoconf.Split(',');
        foreach (var mode in modes)
        {
            if (UnsupportedModes.Contains(mode))
            {
                throw new PlanException($"ip={value}: autoconf '{mode}' is not supported; use dhcp, auto6, dhcp6, either6, or off with a static client address");
            }
            if (DhcpModes.Contains(mode))
            {
                if (dhcp) throw new PlanException($"ip={value}: '{autoconf}' names DHCP twice");
                dhcp = true;
            }
            else if (Ipv6Mode(mode) is { } six)
            {
                if (ipv6 != Ipv6Method.None) throw new PlanException($"ip={value}: '{autoconf}' names two IPv6 modes; choose one of auto6, dhcp6, either6");
                ipv6 = six;
            }
            else if (!StaticModes.Contains(mode) || modes.Length > 1)
            {
                throw new PlanException($"ip={value}: autoconf '{mode}' is not one of dhcp, on, any, auto6, dhcp6, either6, off, none, static");
            }
        }
        return (dhcp, ipv6);
    }

    /// <summary>The fields between ':', where a ':' inside [brackets] (an IPv6 address) does not split.</summary>
    private static List<string> SplitFields(string value)
    {
        var fields = new List<string>();
        int start = 0, depth = 0;
        for (int i = 0; i < value.Length; i++)
        {
            if (value[i] == '[') depth++;
            else if (value[i] == ']') depth--;
            else if (value[i] == ':' && depth == 0)
            {
                fields.Add(value[start..i]);
                start = i + 1;
            }
            if (depth is < 0 or > 1) throw new PlanException($"ip={value}: unbalanced '[' ']'; an IPv6 address goes in one pair of brackets, e.g. [2001:db8::5]");
        }
        if (depth != 0) throw new PlanException($"ip={value}: '[' without ']' around an IPv6 address");
        fields.Add(value[start..]);
        return fields;
    }

    private static string? CheckHostName(string? hostName, string value)
    {
        if (hostName is not null && (hostName.Length > 64 || !hostName.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.')))
        {
            throw new PlanException($"ip={value}: host name '{hostName}' must be at most 64 letters, digits, '-' or '.'");
        }
        return hostName;
    }

    private static string? CheckDevice(string? device, string value)
    {
        if (device is not null && (device.Length is 0 or > 15 || device.Any(c => c is '/' or ':' || char.IsWhiteSpace(c))))
        {
            throw new PlanException($"ip={value}: '{device}' is not a valid interface name (at most 15 characters, no '/', ':' or spaces)");
        }
        return device;
    }

    /// <summary>PXE's <c>BOOTIF=01-aa-bb-cc-dd-ee-ff</c> (hardware type 01, Ethernet, then the MAC): the NIC the machine booted from.</summary>
    public static byte[] ParseBootInterface(string value)
    {
        var parts = value.Split('-');
        if (parts.Length != 7 || parts[0] != "01" || !parts.Skip(1).All(p => p.Length == 2 && p.All(char.IsAsciiHexDigit)))
        {
            throw new PlanException($"BOOTIF={value}: expected 01- and a MAC address with dashes, e.g. BOOTIF=01-52-54-00-12-34-56");
        }
        return parts.Skip(1).Select(p => Convert.ToByte(p, 16)).ToArray();
    }

    /// <summary>
    /// An IPv6 address in brackets, or four decimal numbers, as the kernel reads them
    /// (net/ipv4/ipconfig.c uses in_aton, which is decimal only): a leading zero is just a zero,
    /// never octal as inet_aton(3) and .NET would have it.
    /// </summary>
    private static IPAddress ParseAddress(string text, string what, string value, AddressFamily? family = null)
    {
        IPAddress? address;
        if (text.StartsWith('[') && text.EndsWith(']'))
        {
            string inside = text[1..^1];
            address = inside.Contains(':') && !inside.Contains('%') && IPAddress.TryParse(inside, out var v6) && v6.AddressFamily == AddressFamily.InterNetworkV6 ? v6 : null;
            if (address is null) throw new PlanException($"ip={value}: {what} '{text}' is not an IPv6 address (no scope: the device field names the interface)");
        }
        else
        {
            address = ParseDottedDecimal(text)
                ?? throw new PlanException($"ip={value}: {what} '{text}' is not a dotted IPv4 address" + (text.Contains(':') ? " (an IPv6 address goes in brackets)" : ""));
        }
        if (family is { } f && address.AddressFamily != f)
        {
            throw new PlanException($"ip={value}: {what} {address} is not of the client address's family");
        }
        return address;
    }

    /// <summary>Four decimal numbers of at most three digits, 0 to 255 each; null for anything else.</summary>
    public static IPAddress? ParseDottedDecimal(string text)
    {
        var parts = text.Split('.');
        if (parts.Length != 4 || !parts.All(p => p.Length is > 0 and <= 3 && p.All(char.IsAsciiDigit) && int.Parse(p, CultureInfo.InvariantCulture) <= 255))
        {
            return null;
        }
        return new IPAddress(parts.Select(p => byte.Parse(p, CultureInfo.InvariantCulture)).ToArray());
    }

    private static int ParseNetmask(string text, string value, bool ipv6)
    {
        int most = ipv6 ? 128 : 32;
        if (text.All(char.IsAsciiDigit) && text.Length is > 0 and <= 3)
        {
            int bits = int.Parse(text, CultureInfo.InvariantCulture);
            if (bits >= 1 && bits <= most) return bits;
            throw new PlanException($"ip={value}: prefix length '{text}' must be 1 to {most}");
        }
        if (ipv6) throw new PlanException($"ip={value}: netmask '{text}' of an IPv6 address must be a prefix length (1 to 128)");
        uint mask = ToUInt(ParseAddress(text, "netmask", value, AddressFamily.InterNetwork));
        int prefix = System.Numerics.BitOperations.LeadingZeroCount(~mask);
        if (prefix == 0 || (prefix < 32 && (mask << prefix) != 0))
        {
            throw new PlanException($"ip={value}: netmask '{text}' is not a contiguous mask like 255.255.255.0");
        }
        return prefix;
    }

    /// <summary>The kernel's default when the netmask is empty (net/ipv4/ipconfig.c, ic_defaults).</summary>
    private static int ClassfulPrefix(IPAddress address)
    {
        byte first = address.GetAddressBytes()[0];
        return first < 128 ? 8 : first < 192 ? 16 : 24;
    }

    public static uint ToUInt(IPAddress address)
    {
        var b = address.GetAddressBytes();
        return (uint)(b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]);
    }

    public static bool SameSubnet(IPAddress a, IPAddress b, int prefix)
    {
        if (a.AddressFamily != AddressFamily.InterNetwork || b.AddressFamily != AddressFamily.InterNetwork) return false;
        uint mask = prefix == 0 ? 0 : uint.MaxValue << (32 - prefix);
        return (ToUInt(a) & mask) == (ToUInt(b) & mask);
    }
}
