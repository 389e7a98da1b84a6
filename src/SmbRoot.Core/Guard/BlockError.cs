using System.Globalization;
using System.Text.RegularExpressions;

namespace SmbRoot.Core.Guard;

/// <summary>
/// The block layer's word for a request that failed, as the kernel logs it (block/blk-core.c,
/// blk_print_req_error): "I/O error, dev loop1, sector 2640 op 0x1:(WRITE) flags 0x9800 ...". On a
/// loop device over the share it means the cifs client failed the read or write it was given: after a
/// reconnect it could not replay it (its reopen of the image failed), which the filesystem above
/// answers by protecting itself (ext4 aborts its journal and turns read-only; xfs shuts down).
/// </summary>
public sealed partial record BlockError(string Kind, string Device, ulong Sector, string Operation)
{
    [GeneratedRegex(@"^(.{1,40}?) error, dev (\w{1,32}), sector (\d{1,20}) op 0x[0-9a-f]{1,8}:\((\w{1,32})\)")]
    private static partial Regex Pattern();

    public static BlockError? Parse(string message) =>
        Pattern().Match(message) is { Success: true } match && ulong.TryParse(match.Groups[3].Value, NumberStyles.None, CultureInfo.InvariantCulture, out ulong sector)
            ? new BlockError(match.Groups[1].Value, match.Groups[2].Value, sector, match.Groups[4].Value)
            : null;

    /// <summary>What the console says, once per device: what failed, what the filesystem does, and what to do.</summary>
    /// <param name="what">the device's part in the boot: "the image //server/share/root.img", "the layer ..."</param>
    public string Describe(string what) =>
        $"image: the share failed a {Operation.ToLowerInvariant()} of /dev/{Device} ({what}, sector {Sector}, {Kind} error): " +
        "after a reconnect (a server restart, a cluster failover) the cifs client could not replay it. The filesystem on it " +
        "protects itself: ext4 aborts its journal and turns read-only, xfs shuts down. Every block written with fsync before " +
        "is on the server; restart this machine to replay the journal (init relinquish --reboot)";
}
