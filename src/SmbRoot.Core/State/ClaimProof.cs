using System.Globalization;
using SmbRoot.Core.Fencing;

namespace SmbRoot.Core.State;

/// <summary>
/// The holder's last proof of ownership, in /run/initramfs/smbroot.proof: when it was made, on the
/// monotonic clock every process of this boot shares (CLOCK_MONOTONIC), the deadline it runs
/// against, and whether a watchdog was armed for it. Whoever keeps the claim (PID 1, the handoff
/// helper) rewrites it after each proof, so the final stage fences from the same deadline before it
/// touches the share, and opens the watchdog only if one runs.
/// </summary>
public sealed record ClaimProof(TimeSpan ProvedAt, TimeSpan Deadline, bool Watchdog)
{
    public const string FileName = "smbroot.proof";
    public const string Path = RetainedRamdisk.MountPoint + "/" + FileName;

    public string Serialize() =>
        $"proved_at_ms={(long)ProvedAt.TotalMilliseconds}\ndeadline_s={(long)Deadline.TotalSeconds}\nwatchdog={(Watchdog ? "yes" : "no")}\n";

    /// <summary>Parses the file; a missing or malformed value is a <see cref="FormatException"/> that names its key.</summary>
    public static ClaimProof Parse(string text)
    {
        var values = new Dictionary<string, string>();
        foreach (var kv in text.Split('\n').Select(line => line.Split('=', 2)).Where(kv => kv.Length == 2)) values[kv[0]] = kv[1];
        if (!values.TryGetValue("proved_at_ms", out var at) || !long.TryParse(at, NumberStyles.None, CultureInfo.InvariantCulture, out long ms)
            || ms > (long)TimeSpan.MaxValue.TotalMilliseconds / 2)
        {
            throw new FormatException($"{Path}: no proved_at_ms= line with a number of milliseconds");
        }
        if (!values.TryGetValue("deadline_s", out var d) || !long.TryParse(d, NumberStyles.None, CultureInfo.InvariantCulture, out long seconds)
            || seconds is < 1 or > FencingPolicy.MaxSeconds)
        {
            throw new FormatException($"{Path}: no deadline_s= line with a number of seconds from 1 to {FencingPolicy.MaxSeconds}");
        }
        bool watchdog = values.GetValueOrDefault("watchdog") switch
        {
            "yes" => true,
            "no" => false,
            var other => throw new FormatException($"{Path}: watchdog={other}; expected yes or no"),
        };
        return new ClaimProof(TimeSpan.FromMilliseconds(ms), TimeSpan.FromSeconds(seconds), watchdog);
    }
}
