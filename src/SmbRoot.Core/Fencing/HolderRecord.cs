using System.Globalization;
using System.Text;

namespace SmbRoot.Core.Fencing;

/// <summary>
/// The holder's proof of life, in the file beside the image (<c>root.img.holder</c>): who holds
/// the image, and a renewal count that changes every few seconds while it does. This is the delta
/// lease of sanlock(8): the lock on the image can vanish when a lease break times out, this file
/// cannot, and its modification time is set by the server's clock at every renewal.
/// One block of <see cref="Size"/> bytes of text, so one write replaces all of it.
/// </summary>
public sealed record HolderRecord(
    bool Released,
    string BootId,
    string Machine,
    string HostName,
    string Address,
    DateTimeOffset BootedAt,
    long Renewal,
    TimeSpan Deadline)
{
    public const int Size = 512;

    /// <summary>The record's name is the image's with this after it (<c>root.img.holder</c>).</summary>
    public const string FileSuffix = ".holder";
    private const string Magic = "smbroot-holder 1";

    /// <summary>The machine's SMBIOS system UUID (<see cref="MachineIdentity"/>), "-" where it has none; records before it read as "-".</summary>
    public string MachineUuid { get; init; } = "-";

    public string Format()
    {
        var text = new StringBuilder()
            .Append(Magic).Append('\n')
            .Append("state=").Append(Released ? "released" : "held").Append('\n')
            .Append("boot=").Append(Clean(BootId)).Append('\n')
            .Append("mac=").Append(Clean(Machine)).Append('\n')
            .Append("host=").Append(Clean(HostName)).Append('\n')
            .Append("address=").Append(Clean(Address)).Append('\n')
            .Append("booted=").Append(BootedAt.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)).Append('\n')
            .Append("renewal=").Append(Renewal.ToString(CultureInfo.InvariantCulture)).Append('\n')
            .Append("deadline=").Append(((long)Deadline.TotalSeconds).ToString(CultureInfo.InvariantCulture)).Append('\n')
            .Append("uuid=").Append(Clean(MachineUuid)).Append('\n')
            .ToString();
        return text.Length > Size ? throw new InvalidOperationException("holder record longer than its block") : text.PadRight(Size, '\n');
    }

    public byte[] ToBytes() => Encoding.ASCII.GetBytes(Format());

    /// <summary>Printable ASCII only, and short: the values come from DHCP and the command line.</summary>
    private static string Clean(string value)
    {
        var chars = value.Where(c => c is > ' ' and < (char)127).Take(64).ToArray();
        return chars.Length == 0 ? "-" : new string(chars);
    }

    /// <summary>Who holds the image, for the console: <c>guest1 (52:54:00:..., 192.168.77.11, booted 2026-11-24T18:00:00Z)</c>.</summary>
    public string Describe() =>
        $"{HostName} (MAC {Machine}, {Address}, booted {BootedAt.ToUniversalTime():yyyy-MM-dd HH:mm:ss} UTC)";

    /// <summary>What a block read from the file says.</summary>
    public abstract record Reading
    {
        /// <summary>An empty or zeroed file: nobody has held the image since the file was made.</summary>
        public sealed record Empty : Reading;

        public sealed record Valid(HolderRecord Record) : Reading;

        /// <summary>Not a record SmbRoot wrote: treated as a holder nobody can name, alive until proven stale.</summary>
        public sealed record Unreadable(string Problem) : Reading;
    }

    public static Reading Read(ReadOnlySpan<byte> block)
    {
        int used = block.Length;
        while (used > 0 && block[used - 1] is 0 or (byte)'\n') used--;
        if (used == 0) return new Reading.Empty();
        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(block[..used]);
        }
        catch (DecoderFallbackException)
        {
            return new Reading.Unreadable("not text");
        }
        var lines = text.Split('\n');
        if (lines[0] != Magic) return new Reading.Unreadable("no 'smbroot-holder 1' header");
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in lines.Skip(1))
        {
            int equals = line.IndexOf('=');
            if (equals > 0) values[line[..equals]] = line[(equals + 1)..];
        }
        string? Get(string key) => values.TryGetValue(key, out var v) ? v : null;
        if (Get("state") is not ("held" or "released") || Get("boot") is not { } boot || Get("mac") is not { } mac)
        {
            return new Reading.Unreadable("state, boot or mac missing");
        }
        if (!long.TryParse(Get("renewal"), NumberStyles.None, CultureInfo.InvariantCulture, out long renewal)
            || !long.TryParse(Get("deadline"), NumberStyles.None, CultureInfo.InvariantCulture, out long deadline) || deadline is < 1 or > FencingPolicy.MaxSeconds)
        {
            return new Reading.Unreadable("renewal or deadline not a number in range");
        }
        _ = DateTimeOffset.TryParse(Get("booted"), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var booted);
        return new Reading.Valid(new HolderRecord(Get("state") == "released", boot, mac, Get("host") ?? "-", Get("address") ?? "-",
            booted, renewal, TimeSpan.FromSeconds(deadline)) { MachineUuid = Get("uuid") ?? "-" });
    }
}
