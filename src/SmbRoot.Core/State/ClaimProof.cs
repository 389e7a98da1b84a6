using System.Globalization;

namespace SmbRoot.Core.State;

/// <summary>
/// The holder's last proof of ownership, in /run/initramfs/smbroot.proof: when it was made, on the
/// monotonic clock every process of this boot shares (CLOCK_MONOTONIC), and whether a watchdog was
/// armed for it. Whoever keeps the claim (PID 1, the handoff helper) rewrites it after each proof,
/// so the final stage goes on from the same deadline, and opens the watchdog only if one runs.
/// </summary>
public sealed record ClaimProof(TimeSpan ProvedAt, bool Watchdog)
{
    public const string FileName = "smbroot.proof";
    public const string Path = RetainedRamdisk.MountPoint + "/" + FileName;

    public string Serialize() =>
        $"proved_at_ms={(long)ProvedAt.TotalMilliseconds}\nwatchdog={(Watchdog ? "yes" : "no")}\n";

    /// <summary>Parses the file; a missing or malformed value is a <see cref="FormatException"/> that names its key.</summary>
    public static ClaimProof Parse(string text)
    {
        var values = text.Split('\n').Select(line => line.Split('=', 2)).Where(kv => kv.Length == 2).ToDictionary(kv => kv[0], kv => kv[1]);
        if (!values.TryGetValue("proved_at_ms", out var at) || !long.TryParse(at, NumberStyles.None, CultureInfo.InvariantCulture, out long ms)
            || ms > (long)TimeSpan.MaxValue.TotalMilliseconds / 2)
        {
            throw new FormatException($"{Path}: no proved_at_ms= line with a number of milliseconds");
        }
        return values.GetValueOrDefault("watchdog") switch
        {
            "yes" => new ClaimProof(TimeSpan.FromMilliseconds(ms), true),
            "no" => new ClaimProof(TimeSpan.FromMilliseconds(ms), false),
            var other => throw new FormatException($"{Path}: watchdog={other}; expected yes or no"),
        };
    }
}
