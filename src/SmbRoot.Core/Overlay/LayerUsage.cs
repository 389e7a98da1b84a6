namespace SmbRoot.Core.Overlay;

/// <summary>
/// How full the writable layer is, and when to say so on the console: once at each of 50, 75
/// and 90 percent, and when it is full, as it grows; once more when it has shrunk below 50 again.
/// <paramref name="remedy"/> ends the "full" message: how this kind of layer is made larger.
/// </summary>
public sealed class LayerUsage(string remedy = LayerUsage.TmpfsRemedy)
{
    public const string TmpfsRemedy = "boot with a larger rd.overlay=tmpfs:size=";

    /// <summary>ext4 grows to its file at the next boot (Boot/Steps/OverlayRoot).</summary>
    public const string FileRemedy = "make the layer's file larger on the server (truncate -s) and reboot: its filesystem grows to it";

    private static readonly int[] Levels = [50, 75, 90, 100];

    private int _reported;

    public enum Kind { Filling, Full, RoomAgain }

    /// <summary>A console message: a warning while the layer fills, an error when writes to the root fail.</summary>
    public sealed record Report(string Text, Kind Kind);

    /// <summary>The sentence for <c>init status</c>.</summary>
    public static string Describe(long usedBytes, long totalBytes) =>
        $"{Mib(usedBytes)} of {Mib(totalBytes)} MiB used ({Percent(usedBytes, totalBytes)}%)";

    /// <summary>The console message this reading calls for, or null.</summary>
    public Report? Next(long usedBytes, long totalBytes)
    {
        int percent = Percent(usedBytes, totalBytes);
        int level = Levels.LastOrDefault(l => percent >= l);
        if (level > _reported)
        {
            _reported = level;
            return level == 100
                ? new Report($"overlay: the writable layer is full ({Describe(usedBytes, totalBytes)}): writes to the root fail with 'No space left on device'; delete files or {remedy}", Kind.Full)
                : new Report($"overlay: the writable layer is {level}% full ({Describe(usedBytes, totalBytes)})", Kind.Filling);
        }
        if (_reported > 0 && percent < Levels[0])
        {
            _reported = 0;
            return new Report($"overlay: the writable layer has room again ({Describe(usedBytes, totalBytes)})", Kind.RoomAgain);
        }
        return null;
    }

    /// <summary>In floating point: used × 100 wraps a long for used past 92 PB, which a statfs(2) of any filesystem may report.</summary>
    private static int Percent(long used, long total) => total <= 0 ? 100 : (int)Math.Clamp(used * 100.0 / total, 0, 100);

    private static string Mib(long bytes) => (bytes / (1024.0 * 1024.0)).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture);
}
