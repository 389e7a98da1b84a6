using System.Globalization;

namespace SmbRoot.Lab;

/// <summary>
/// smbd's own counters (smbstatus -P, with smbd profiling level = on): "name: value" lines under
/// section headers, summed over every smbd process. Times are in microseconds.
/// </summary>
public sealed class SmbProfile(IReadOnlyDictionary<string, long> counters)
{
    public long this[string name] => counters.GetValueOrDefault(name);

    /// <summary>Every SMB2 request (the sum of the smb2_*_count counters).</summary>
    public long Smb2Requests => counters.Where(c => c.Key.StartsWith("smb2_", StringComparison.Ordinal) && c.Key.EndsWith("_count", StringComparison.Ordinal)).Sum(c => c.Value);

    /// <summary>The SMB2 requests by command (smb2_read_count is "read"), the most first, those with none left out.</summary>
    public IEnumerable<(string Command, long Count)> RequestsByCommand() =>
        counters.Where(c => c.Key.StartsWith("smb2_", StringComparison.Ordinal) && c.Key.EndsWith("_count", StringComparison.Ordinal) && c.Value > 0)
            .Select(c => (c.Key["smb2_".Length..^"_count".Length], c.Value))
            .OrderByDescending(c => c.Value);

    /// <summary>smbd's CPU time, user and system, in seconds.</summary>
    public double CpuSeconds => (this["cpu_user_time"] + this["cpu_system_time"]) / 1e6;

    /// <summary>The bytes clients read (SMB2 READ responses) and wrote (SMB2 WRITE requests).</summary>
    public long BytesRead => this["smb2_read_outbytes"];
    public long BytesWritten => this["smb2_write_inbytes"];

    /// <summary>What changed from <paramref name="before"/> to this.</summary>
    public SmbProfile Since(SmbProfile before) =>
        new(counters.ToDictionary(c => c.Key, c => c.Value - before[c.Key]));

    public static SmbProfile Parse(string text)
    {
        var counters = new Dictionary<string, long>();
        foreach (var line in text.Split('\n'))
        {
            int colon = line.IndexOf(':');
            if (colon <= 0 || line.StartsWith('*')) continue;
            if (long.TryParse(line[(colon + 1)..].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out long value)) counters[line[..colon].Trim()] = value;
        }
        return new SmbProfile(counters);
    }
}
