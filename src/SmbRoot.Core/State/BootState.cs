namespace SmbRoot.Core.State;

/// <summary>
/// What the boot stage leaves for the final stage in /run/initramfs/smbroot.state: what was
/// mounted, which loop device, which interface. The boot stage's process image is gone by then,
/// so this small key=value file is the hand-over. Never holds a secret.
/// </summary>
public sealed record BootState(
    string ShareMountPoint,
    string Unc,
    string? ImagePath,
    string? LoopDevice,
    string? FileSystem,
    string Interface,
    string Address,
    string? Gateway,
    string Mode)
{
    public const string Path = "/run/initramfs/smbroot.state";

    public string Serialize() => string.Join("\n",
        "share_mount=" + ShareMountPoint, "unc=" + Unc, "image=" + (ImagePath ?? ""), "loop=" + (LoopDevice ?? ""),
        "fstype=" + (FileSystem ?? ""), "interface=" + Interface, "address=" + Address, "gateway=" + (Gateway ?? ""), "mode=" + Mode) + "\n";

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
        return new BootState(Get("share_mount"), Get("unc"), Optional("image"), Optional("loop"), Optional("fstype"),
            Get("interface"), Get("address"), Optional("gateway"), Get("mode"));
    }
}
