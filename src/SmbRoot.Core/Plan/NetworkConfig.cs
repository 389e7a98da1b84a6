using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace SmbRoot.Core.Plan;

public enum AddressMethod { Static, Dhcp }

/// <summary>The network from the kernel's <c>ip=</c> syntax: a static IPv4 configuration, or DHCP.</summary>
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
    public override string ToString() =>
        (Method == AddressMethod.Dhcp ? "DHCP" : $"{Address}/{PrefixLength}") + $" on {Device ?? "the first interface with a link"}" +
        (Gateway is null ? "" : $" via {Gateway}") +
        (HostName is null ? "" : $", host name {HostName}") +
        (DnsServers.Count == 0 ? "" : $", dns {string.Join(' ', DnsServers)}");

    private static readonly string[] DhcpModes = ["dhcp", "on", "any", "both", "bootp"];
    private static readonly string[] UnsupportedModes = ["rarp", "dhcp6", "auto6", "ibft", "either6"];
    private static readonly string[] StaticModes = ["", "off", "none", "static"];

    /// <summary>DHCP on whichever interface has a link: what dracut does for a network root without ip=.</summary>
    public static readonly NetworkConfig AnyDhcp = new(AddressMethod.Dhcp, null, 0, null, null, null, null, []);

    /// <summary>
    /// Parses <c>ip=client:peer:gateway:netmask:hostname:device:autoconf:dns0:dns1</c>
    /// (Documentation/admin-guide/nfs/nfsroot.rst), the short forms <c>ip=dhcp</c> and
    /// <c>ip=eth0:dhcp</c> (dracut), and no ip= at all, which means DHCP.
    /// </summary>
    public static NetworkConfig Parse(string? value)
    {
        const string staticExample = "ip=192.0.2.10::192.0.2.1:255.255.255.0:myhost:eth0:off";
        if (value is null) return AnyDhcp;
        var fields = value.Split(':');
        if (fields.Length <= 2)
        {
            string mode = fields[^1].ToLowerInvariant();
            string? shortDevice = fields.Length == 2 ? fields[0] : null;
            if (DhcpModes.Contains(mode)) return AnyDhcp with { Device = CheckDevice(shortDevice, value) };
            if (UnsupportedModes.Contains(mode)) throw new PlanException($"ip={value}: '{mode}' is not supported; use dhcp or a static address, e.g. {staticExample}");
            if (mode is "off" or "none")
            {
                throw new PlanException($"ip={value}: the root is on the network, so the network must be configured; use ip=dhcp or a static address, e.g. {staticExample}");
            }
        }
        if (fields.Length > 10)
        {
            throw new PlanException($"ip={value}: too many fields ({fields.Length}); expected client:peer:gateway:netmask:hostname:device:autoconf:dns0:dns1:ntp0");
        }
        string Field(int i) => i < fields.Length ? fields[i] : "";

        string autoconf = Field(6).ToLowerInvariant();
        if (UnsupportedModes.Contains(autoconf))
        {
            throw new PlanException($"ip={value}: autoconf '{autoconf}' is not supported; use dhcp, or off with a static client address");
        }
        if (!StaticModes.Contains(autoconf) && !DhcpModes.Contains(autoconf))
        {
            throw new PlanException($"ip={value}: autoconf '{Field(6)}' is not one of dhcp, on, any, off, none, static");
        }
        string? hostName = CheckHostName(Field(4).Length == 0 ? null : Field(4), value);
        string? device = CheckDevice(Field(5).Length == 0 ? null : Field(5), value);
        var dns = new List<IPAddress>();
        if (Field(7).Length > 0) dns.Add(ParseIPv4(Field(7), "dns0", value));
        if (Field(8).Length > 0) dns.Add(ParseIPv4(Field(8), "dns1", value));
        if (DhcpModes.Contains(autoconf) || (autoconf.Length == 0 && Field(0).Length == 0))
        {
            // The kernel's rule: with no client address, autoconfiguration (nfsroot.rst, "<autoconf>").
            return new NetworkConfig(AddressMethod.Dhcp, null, 0, null, null, hostName, device, dns);
        }
        if (Field(0).Length == 0)
        {
            throw new PlanException($"ip={value}: no client address in the first field; expected e.g. {staticExample}");
        }
        var address = ParseIPv4(Field(0), "client address", value);
        var peer = Field(1).Length == 0 ? null : ParseIPv4(Field(1), "server address", value);
        var gateway = Field(2).Length == 0 ? null : ParseIPv4(Field(2), "gateway", value);
        int prefix = Field(3).Length == 0 ? ClassfulPrefix(address) : ParseNetmask(Field(3), value);

        if (gateway is not null && !SameSubnet(address, gateway, prefix))
        {
            throw new PlanException($"ip={value}: gateway {gateway} is not inside {address}/{prefix}; check the netmask");
        }
        return new NetworkConfig(AddressMethod.Static, address, prefix, gateway, peer, hostName, device, dns);
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
    /// Four decimal numbers, as the kernel reads them (net/ipv4/ipconfig.c uses in_aton, which is
    /// decimal only): a leading zero is just a zero, never octal as inet_aton(3) and .NET would have it.
    /// </summary>
    private static IPAddress ParseIPv4(string text, string what, string value) =>
        ParseDottedDecimal(text) ?? throw new PlanException($"ip={value}: {what} '{text}' is not a dotted IPv4 address");

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

    private static int ParseNetmask(string text, string value)
    {
        if (text.All(char.IsAsciiDigit) && text.Length <= 2)
        {
            int bits = int.Parse(text);
            if (bits is >= 1 and <= 32) return bits;
            throw new PlanException($"ip={value}: prefix length '{text}' must be 1 to 32");
        }
        uint mask = ToUInt(ParseIPv4(text, "netmask", value));
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
