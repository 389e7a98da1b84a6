using Microsoft.Extensions.Logging;
using SmbRoot.Core.Guard;
using SmbRoot.Core.Kernel;
using SmbRoot.Fencing;
using SmbRoot.Interop;
using SmbRoot.Logging;

namespace SmbRoot.Guard;

/// <summary>
/// Guard mode's ear on the kernel log for a read or write that the share failed on one of the
/// boot's loop devices (<see cref="BlockError"/>): the kernel says it in its own words only, and a
/// root that turned read-only after a failover would otherwise be found by whoever writes next.
/// Said once per device, from the moment the guard starts.
/// </summary>
public static class LoopErrorWatch
{
    /// <param name="devices">each loop device's name ("loop0") and its part in the boot</param>
    public static void Start(ILogger log, IReadOnlyDictionary<string, string> devices)
    {
        if (devices.Count == 0) return;
        BackgroundWork.Start("kernel log watch", log, () =>
        {
            int fd = Sys.Open("/dev/kmsg", Sys.O_RDONLY);
            // From now on: what the kernel logged before the guard started is not this watch's news.
            Sys.SeekToEnd(fd, "/dev/kmsg");
            var said = new HashSet<string>();
            var buffer = new byte[8192]; // a record is at most 8 KiB with its continuation lines (printk's LOG_LINE_MAX and more)
            while (said.Count < devices.Count)
            {
                int read;
                try
                {
                    read = Sys.Read(fd, buffer, "/dev/kmsg");
                }
                catch (SysException e) when (e.Errno == Errno.EPIPE)
                {
                    continue; // records were overwritten before this read: the next read goes on from the oldest kept
                }
                if (KernelLogRecord.Parse(System.Text.Encoding.UTF8.GetString(buffer, 0, read)) is { } record
                    && BlockError.Parse(record.Message) is { } failure
                    && devices.TryGetValue(failure.Device, out string? what)
                    && said.Add(failure.Device))
                {
                    log.Error(failure.Describe(what));
                }
            }
        });
    }
}
