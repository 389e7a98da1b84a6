using System.Net;
namespace SmbRoot.Core.State;

/// <summary>The root's network as the boot configured it: what the final stage restores, and takes down last.</summary>
public sealed record NetworkRecord(string Interface, IPAddress Address, int PrefixLength, IPAddress? Gateway)
{
    public override string ToString() => $"{Interface} {Address}/{PrefixLength}" + (Gateway is null ? "" : $" via {Gateway}");
}

/// <summary>
/// What the boot stage leaves for the final stage in /run/initramfs/smbroot.state: the share's
/// mount point, the loop devices (the image's, and a persistent overlay layer's), the network, and
/// the boot id in the holder record of what this machine holds alone (<see cref="HolderBootId"/>:
/// the layer's when there is one, else the image's; null for a read-only root), which the final stage marks released. The boot stage's process image is gone by then, so
/// this small key=value file is the hand-over. Never holds a secret.
/// </summary>
public sealed record BootState(
    string ShareMountPoint,
    string Unc,
    string? ImagePath,
    string? LoopDevice,
    string? FileSystem,
    NetworkRecord? Network,
    string? HolderBootId = null,
    string? LayerPath = null,
    string? LayerLoopDevice = null)
{
    /// <summary>The file whose holder record carries <see cref="HolderBootId"/>.</summary>
    public string? HeldPath => LayerPath ?? ImagePath;

    /// <summary>The file's name in the retained ramdisk, which is the final stage's root.</summary>
    public const string FileName = "smbroot.state";
    public const string Path = RetainedRamdisk.MountPoint + "/" + FileName;

    public string Serialize() => string.Join("\n",
        "share_mount=" + ShareMountPoint, "unc=" + Unc, "image=" + ImagePath, "loop=" + LoopDevice, "fstype=" + FileSystem,
        "interface=" + Network?.Interface, "address=" + (Network is { } n ? $"{n.Address}/{n.PrefixLength}" : ""),
        "gateway=" + Network?.Gateway, "holder_boot=" + HolderBootId, "layer=" + LayerPath, "layer_loop=" + LayerLoopDevice) + "\n";

    /// <summary>Parses the file; a missing or malformed value is a <see cref="FormatException"/> that names its key.</summary>
    public static BootState Parse(string text)
    {
        var values = new Dictionary<string, string>();
        foreach (var line in text.Split('\n'))
        {
            int equals = line.IndexOf('=');
            if (equals > 0) values[line[..equals]] = line[(equals + 1)..];
        }
        string Get(string key) => values.TryGetValue(key, out var v) ? v : throw new FormatException($"{Path}: no {key}= line");
        string? Optional(string key) => Get(key) is { Length: > 0 } v ? v : null;
        string shareMount = Get("share_mount");
        if (!shareMount.StartsWith('/')) throw new FormatException($"{Path}: share_mount={shareMount} is not an absolute path");
        string? LoopDevice(string key, string? device)
        {
            if (device is not null && !device.StartsWith("/dev/loop", StringComparison.Ordinal)) throw new FormatException($"{Path}: {key}={device} is not a loop device");
            return device;
        }
        string? loop = LoopDevice("loop", Optional("loop"));
        string? holderBoot = values.TryGetValue("holder_boot", out var h) && h.Length > 0 ? h : null;
        if (holderBoot is not null && !holderBoot.All(c => char.IsAsciiHexDigit(c) || c == '-')) throw new FormatException($"{Path}: holder_boot={holderBoot} is not a boot id");
        return new BootState(shareMount, Get("unc"), Optional("image"), loop, Optional("fstype"),
            ParseNetwork(Optional("interface"), Get("address"), Optional("gateway")), holderBoot,
            Optional("layer"), LoopDevice("layer_loop", Optional("layer_loop")));
    }

    private static NetworkRecord? ParseNetwork(string? name, string address, string? gateway)
    {
        if (name is null) return null;
        var parts = address.Split('/');
        if (parts.Length != 2 || !IPAddress.TryParse(parts[0], out var ip) || !int.TryParse(parts[1], out int prefix) || prefix is < 0 or > 32)
        {
            throw new FormatException($"{Path}: address={address}; expected ADDRESS/PREFIX");
        }
        IPAddress? router = null;
        if (gateway is not null && !IPAddress.TryParse(gateway, out router)) throw new FormatException($"{Path}: gateway={gateway} is not an address");
        return new NetworkRecord(name, ip, prefix, router);
    }
}
