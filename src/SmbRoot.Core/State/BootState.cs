using System.Net;
using System.Net.Sockets;
namespace SmbRoot.Core.State;

/// <summary>One address on the root's interface, and the default route of its family.</summary>
public sealed record InterfaceAddress(IPAddress Address, int PrefixLength, IPAddress? Gateway)
{
    public override string ToString() => $"{Address}/{PrefixLength}" + (Gateway is null ? "" : $" via {Gateway}");
}

/// <summary>
/// The root's network as the boot configured it: what the final stage restores, and takes down
/// last. At most one address of each family; at least one.
/// </summary>
public sealed record NetworkRecord(string Interface, InterfaceAddress? V4, InterfaceAddress? V6)
{
    /// <summary>The machine's address as a holder record or a layer's name gives it: IPv4 when there is one.</summary>
    public IPAddress Address => (V4 ?? V6 ?? throw new InvalidOperationException("a network record without an address")).Address;

    public IEnumerable<InterfaceAddress> Addresses => new[] { V4, V6 }.OfType<InterfaceAddress>();

    public override string ToString() => $"{Interface} {string.Join(", ", Addresses)}";
}

/// <summary>One thing the boot built that the final stage must give back, as the state file keeps it.</summary>
public abstract record Built
{
    /// <summary>The root's network: put back first (the share needs it), taken down last.</summary>
    public sealed record Network(NetworkRecord Record) : Built;

    /// <summary>The share, and the same share mounted again without leases for the holder records.</summary>
    public sealed record Share(string MountPoint, string Unc, string? RecordMountPoint) : Built;

    /// <summary>This boot's holder record (<paramref name="BootId"/>) beside the file it holds alone.</summary>
    public sealed record Claim(string BootId, string PathInShare) : Built;

    /// <summary>A loop device over a file on the share: the image, a persistent layer (<paramref name="Role"/> says which).</summary>
    public sealed record Loop(string Device, string PathInShare, string? FileSystem, string Role) : Built;

    /// <summary>A mount of the root (/sysroot, an overlay's layers); in the final stage all of them are under the old root.</summary>
    public sealed record Mount(string MountPoint) : Built;
}

/// <summary>
/// What the boot leaves for the final stage in /run/initramfs/smbroot.state: what it built, in the
/// order it built it (the runner's resource stack, <see cref="Built"/>), which the final stage gives
/// back in reverse (<see cref="Teardown"/>). The boot stage's process image is gone by then, so this
/// small file is the hand-over: a line per thing, its kind, then tab-separated key=value fields.
/// Never holds a secret.
/// </summary>
public sealed record BootState(IReadOnlyList<Built> Things)
{
    /// <summary>The file's name in the retained ramdisk, which is the final stage's root.</summary>
    public const string FileName = "smbroot.state";
    public const string Path = RetainedRamdisk.MountPoint + "/" + FileName;

    public Built.Network? Network => Things.OfType<Built.Network>().LastOrDefault();
    public Built.Share? Share => Things.OfType<Built.Share>().LastOrDefault();

    /// <summary>The holder record of what this machine holds alone (the layer's when there is one, else the image's); null for a read-only root.</summary>
    public Built.Claim? Claim => Things.OfType<Built.Claim>().LastOrDefault();

    public IEnumerable<Built.Loop> Loops => Things.OfType<Built.Loop>();

    public string Serialize() => string.Concat(Things.Select(thing => Line(thing) + "\n"));

    private static string Line(Built thing) => thing switch
    {
        Built.Network n => Fields("network", ("interface", n.Record.Interface),
            ("address", n.Record.V4 is { } v4 ? $"{v4.Address}/{v4.PrefixLength}" : null), ("gateway", n.Record.V4?.Gateway?.ToString()),
            ("address6", n.Record.V6 is { } v6 ? $"{v6.Address}/{v6.PrefixLength}" : null), ("gateway6", n.Record.V6?.Gateway?.ToString())),
        Built.Share s => Fields("share", ("mount", s.MountPoint), ("unc", s.Unc), ("records", s.RecordMountPoint)),
        Built.Claim c => Fields("claim", ("boot", c.BootId), ("path", c.PathInShare)),
        Built.Loop l => Fields("loop", ("device", l.Device), ("path", l.PathInShare), ("fstype", l.FileSystem), ("role", l.Role)),
        Built.Mount m => Fields("mount", ("at", m.MountPoint)),
        _ => throw new ArgumentException($"no line for {thing.GetType().Name}"),
    };

    private static string Fields(string kind, params (string Key, string? Value)[] fields)
    {
        foreach (var (key, value) in fields)
        {
            if (value is not null && value.Any(c => c is '\t' or '\n')) throw new ArgumentException($"{kind} {key}: a tab or a newline cannot be kept in {Path}");
        }
        return string.Join('\t', [kind, .. fields.Where(f => f.Value is not null).Select(f => $"{f.Key}={f.Value}")]);
    }

    /// <summary>Parses the file; a line that does not parse is a <see cref="FormatException"/> that names it.</summary>
    public static BootState Parse(string text) =>
        new(text.Split('\n').Where(line => line.Length > 0).Select(ParseLine).ToList());

    private static Built ParseLine(string line)
    {
        var parts = line.Split('\t');
        var values = new Dictionary<string, string>();
        foreach (var field in parts.Skip(1))
        {
            int equals = field.IndexOf('=');
            if (equals <= 0) throw new FormatException($"{Path}: '{field}' in a {parts[0]} line is not key=value");
            values[field[..equals]] = field[(equals + 1)..];
        }
        string Get(string key) => values.TryGetValue(key, out var v) && v.Length > 0 ? v : throw new FormatException($"{Path}: a {parts[0]} line has no {key}=");
        string? Optional(string key) => values.TryGetValue(key, out var v) && v.Length > 0 ? v : null;
        string Absolute(string key) => Get(key) is var path && path.StartsWith('/') ? path : throw new FormatException($"{Path}: {key}={path} is not an absolute path");
        return parts[0] switch
        {
            "network" => new Built.Network(NetworkOf(Get("interface"), AddressOf(Optional("address"), Optional("gateway"), AddressFamily.InterNetwork),
                AddressOf(Optional("address6"), Optional("gateway6"), AddressFamily.InterNetworkV6))),
            "share" => new Built.Share(Absolute("mount"), Get("unc"), Optional("records") is null ? null : Absolute("records")),
            "claim" => new Built.Claim(BootId(Get("boot")), Get("path")),
            "loop" => new Built.Loop(LoopDevice(Get("device")), Get("path"), Optional("fstype"), Get("role")),
            "mount" => new Built.Mount(Absolute("at")),
            var kind => throw new FormatException($"{Path}: '{kind}' is not a kind of thing the boot builds"),
        };
    }

    private static string BootId(string id) =>
        id.All(c => char.IsAsciiHexDigit(c) || c == '-') ? id : throw new FormatException($"{Path}: boot={id} is not a boot id");

    private static string LoopDevice(string device) =>
        device.StartsWith("/dev/loop", StringComparison.Ordinal) ? device : throw new FormatException($"{Path}: device={device} is not a loop device");

    private static NetworkRecord NetworkOf(string name, InterfaceAddress? v4, InterfaceAddress? v6) =>
        v4 is null && v6 is null ? throw new FormatException($"{Path}: a network line has no address= or address6=") : new NetworkRecord(name, v4, v6);

    private static InterfaceAddress? AddressOf(string? address, string? gateway, AddressFamily family)
    {
        if (address is null) return null;
        int most = family == AddressFamily.InterNetwork ? 32 : 128;
        var parts = address.Split('/');
        if (parts.Length != 2 || !IPAddress.TryParse(parts[0], out var ip) || ip.AddressFamily != family || !int.TryParse(parts[1], out int prefix) || prefix < 0 || prefix > most)
        {
            throw new FormatException($"{Path}: {(family == AddressFamily.InterNetwork ? "address" : "address6")}={address}; expected ADDRESS/PREFIX of {(family == AddressFamily.InterNetwork ? "IPv4" : "IPv6")}");
        }
        IPAddress? router = null;
        if (gateway is not null && (!IPAddress.TryParse(gateway, out router) || router.AddressFamily != family)) throw new FormatException($"{Path}: {(family == AddressFamily.InterNetwork ? "gateway" : "gateway6")}={gateway} is not an address of its family");
        return new InterfaceAddress(ip, prefix, router);
    }
}
