using System.Text;
using Microsoft.Extensions.Logging;
using SmbRoot.Interop;

namespace SmbRoot.Logging;

/// <summary>
/// Logs to the console and to the kernel log (/dev/kmsg) with the kernel's priority prefix, so
/// the messages are in dmesg and on every console the kernel prints to. A message the kernel will
/// print on the console itself (its level is below console_loglevel, /proc/sys/kernel/printk) is
/// not written to the console a second time.
/// </summary>
public sealed class KernelConsoleLoggerProvider : ILoggerProvider
{
    private readonly object _lock = new();
    private int _kmsg = -1;
    private int _consoleLogLevel = 0;
    public LogLevel MinimumLevel { get; set; } = LogLevel.Information;

    private const string DevKmsgSetting = "/proc/sys/kernel/printk_devkmsg";
    private string? _savedDevKmsg;

    /// <summary>
    /// Starts writing to /dev/kmsg once /dev and /proc are mounted. By default the kernel drops
    /// /dev/kmsg writes past 10 in 5 seconds without an error (kernel/printk/printk.c,
    /// devkmsg_write with printk_devkmsg=ratelimit), so the boot turns the limit off and puts the
    /// setting back in <see cref="DetachKernelLog"/>. Attaching twice is attaching once. If it cannot, every line also goes to the console.
    /// </summary>
    public void AttachKernelLog()
    {
        if (_kmsg >= 0) return; // attached already: keep the descriptor and the saved setting
        try
        {
            _kmsg = Sys.Open("/dev/kmsg", Sys.O_WRONLY);
        }
        catch (SysException)
        {
            _kmsg = -1;
            return;
        }
        _savedDevKmsg = ReadSetting(DevKmsgSetting);
        if (_savedDevKmsg is not null && !WriteSetting(DevKmsgSetting, "on")) _savedDevKmsg = null;
        // /proc/sys/kernel/printk: "console_loglevel default_message_loglevel minimum default_console".
        string? printk = ReadSetting("/proc/sys/kernel/printk");
        _consoleLogLevel = int.TryParse(printk?.Split(['\t', ' '], StringSplitOptions.RemoveEmptyEntries).FirstOrDefault(), out int level) ? level : 0;
    }

    private static string? ReadSetting(string path)
    {
        try { return File.ReadAllText(path).Trim(); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    private static bool WriteSetting(string path, string value)
    {
        try
        {
            KernelSetting.Write(path, value);
            return true;
        }
        catch (SysException)
        {
            return false;
        }
    }

    /// <summary>Closes /dev/kmsg and restores the kernel's rate limit, before the system's init takes over.</summary>
    public void DetachKernelLog()
    {
        lock (_lock)
        {
            if (_savedDevKmsg is not null)
            {
                WriteSetting(DevKmsgSetting, _savedDevKmsg); // if it fails the setting stays "on": harmless
                _savedDevKmsg = null;
            }
            if (_kmsg >= 0) Sys.Close(_kmsg);
            _kmsg = -1;
        }
    }

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose() { }

    /// <summary>Kernel log levels (include/linux/kern_levels.h).</summary>
    private static int KernelLevel(LogLevel level) => level switch
    {
        LogLevel.Critical => 2,
        LogLevel.Error => 3,
        LogLevel.Warning => 4,
        LogLevel.Information => 5, // KERN_NOTICE: shown on a default console, hidden by "quiet"
        _ => 7,
    };

    private void Write(LogLevel level, string message)
    {
        string prefix = level switch
        {
            LogLevel.Critical or LogLevel.Error => "smbroot: ERROR: ",
            LogLevel.Warning => "smbroot: warning: ",
            _ => "smbroot: ",
        };
        lock (_lock)
        {
            int kernelLevel = KernelLevel(level);
            foreach (var line in message.Split('\n'))
            {
                bool kernelPrintsIt = false;
                if (_kmsg >= 0)
                {
                    try
                    {
                        Sys.WriteAll(_kmsg, Encoding.UTF8.GetBytes($"<{kernelLevel}>{prefix}{line}\n"), "/dev/kmsg");
                        kernelPrintsIt = kernelLevel < _consoleLogLevel;
                    }
                    catch (SysException)
                    {
                        // The kernel rate-limits /dev/kmsg writers (printk_devkmsg=ratelimit); the console still gets it.
                    }
                }
                if (!kernelPrintsIt)
                {
                    try { Sys.WriteAll(1, Encoding.UTF8.GetBytes(prefix + line + "\n"), "console"); }
                    catch (SysException) { /* no console: the kernel log is all there is */ }
                }
            }
        }
    }

    private sealed class Logger(KernelConsoleLoggerProvider provider) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= provider.MinimumLevel;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            provider.Write(logLevel, formatter(state, exception));
        }
    }
}

/// <summary>Plain-string logging: messages hold paths and braces, so they are never message templates.</summary>
public static class LoggerExtensions
{
    private static readonly Func<string, Exception?, string> Identity = (message, _) => message;

    public static void Say(this ILogger logger, string message) => logger.Log(LogLevel.Information, default, message, null, Identity);
    public static void Debug(this ILogger logger, string message) => logger.Log(LogLevel.Debug, default, message, null, Identity);
    public static void Warn(this ILogger logger, string message) => logger.Log(LogLevel.Warning, default, message, null, Identity);
    public static void Error(this ILogger logger, string message) => logger.Log(LogLevel.Error, default, message, null, Identity);
}
