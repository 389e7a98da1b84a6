using System.Globalization;

namespace SmbRoot.Core.Kernel;

/// <summary>
/// One record of /dev/kmsg as a read(2) returns it: "PRIORITY,SEQUENCE,MICROSECONDS,FLAGS[,...];MESSAGE"
/// and then continuation lines that begin with a space (Documentation/ABI/testing/dev-kmsg).
/// </summary>
public readonly record struct KernelLogRecord(int Priority, ulong Sequence, ulong Microseconds, string Message)
{
    /// <summary>The record, or null when the text is not one (the kernel's format is the only one trusted).</summary>
    public static KernelLogRecord? Parse(string text)
    {
        int semicolon = text.IndexOf(';');
        if (semicolon < 0) return null;
        string[] prefix = text[..semicolon].Split(',');
        if (prefix.Length < 3
            || !int.TryParse(prefix[0], NumberStyles.None, CultureInfo.InvariantCulture, out int priority)
            || !ulong.TryParse(prefix[1], NumberStyles.None, CultureInfo.InvariantCulture, out ulong sequence)
            || !ulong.TryParse(prefix[2], NumberStyles.None, CultureInfo.InvariantCulture, out ulong microseconds))
        {
            return null;
        }
        string message = text[(semicolon + 1)..];
        int end = message.IndexOf('\n');
        return new KernelLogRecord(priority, sequence, microseconds, end < 0 ? message : message[..end]);
    }
}
