namespace SmbRoot.Core.Images;

/// <summary>
/// Which file the booted image is, as the server says: its file id (the cifs inode number, the
/// server's UniqueId), size and modification time. After a reconnect whose durable handle has
/// expired the cifs client reopens files by path (fs/cifs/file.c, cifs_reopen_file), so an
/// image replaced under the same name would be read silently; the guard compares this against
/// what the path names now.
/// </summary>
public sealed record ImageIdentity(ulong FileId, long Size, DateTimeOffset Modified)
{
    /// <summary>The content stamp the image ends with (<see cref="ContentStamp"/>), when it was published with one: what it is on any server.</summary>
    public ContentStamp? Stamp { get; init; }

    /// <summary>With a stamp, its first bytes as <see cref="ContentStamp.HashHead"/> gives them: a copy elsewhere must have the same.</summary>
    public ulong? HeadHash { get; init; }

    /// <summary>
    /// A statx timestamp (seconds and nanoseconds since 1970) as a time, held to the years
    /// DateTimeOffset can hold: anyone who can set a file's time on the server can set it past 9999,
    /// and the conversion must not throw in a thread of PID 1. A time out of range compares as its bound.
    /// </summary>
    public static DateTimeOffset FromUnixTime(long seconds, uint nanoseconds)
    {
        long min = DateTimeOffset.MinValue.ToUnixTimeSeconds(), max = DateTimeOffset.MaxValue.ToUnixTimeSeconds();
        if (seconds <= min) return DateTimeOffset.MinValue;
        if (seconds >= max) return DateTimeOffset.MaxValue;
        return DateTimeOffset.FromUnixTimeSeconds(seconds).AddTicks(Math.Min(nanoseconds, 999_999_999u) / 100);
    }

    /// <summary>What differs in <paramref name="now"/>, or null when it is the same image: a read-only image must not change at all.</summary>
    public string? ChangedIn(ImageIdentity now)
    {
        var changes = new List<string>();
        if (now.FileId != FileId) changes.Add($"file id {FileId} is now {now.FileId}");
        if (now.Size != Size) changes.Add($"size {Size} bytes is now {now.Size}");
        if (now.Modified != Modified) changes.Add($"modified {Time(Modified)}, now {Time(now.Modified)}");
        return changes.Count == 0 ? null : string.Join(", ", changes);
    }

    /// <summary>To the second, or finer when the two differ within one.</summary>
    private static string Time(DateTimeOffset time) =>
        time.UtcDateTime.ToString(time.Ticks % TimeSpan.TicksPerSecond == 0 ? "yyyy-MM-dd HH:mm:ss'Z'" : "yyyy-MM-dd HH:mm:ss.fffffff'Z'", System.Globalization.CultureInfo.InvariantCulture);
}
