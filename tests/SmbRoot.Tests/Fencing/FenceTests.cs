using Microsoft.Extensions.Logging;
using SmbRoot.Fencing;
using Xunit;

namespace SmbRoot.Tests.Fencing;

public class FenceTests
{
    /// <summary>A console whose write never returns: a serial line with flow control held off, Scroll Lock on a VT.</summary>
    private sealed class BlockedConsole : ILogger
    {
        public readonly ManualResetEventSlim Entered = new();
        public readonly ManualResetEventSlim Release = new();
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            Entered.Set();
            Release.Wait();
        }
    }

    private sealed class Rebooted : Exception;

    /// <summary>Issue 22, point 6: the fence logged first and rebooted after, so a blocked console held the reboot off for ever.</summary>
    [Fact]
    public void The_fence_reboots_even_when_the_console_never_takes_its_message()
    {
        var console = new BlockedConsole();
        try
        {
            Assert.Throws<Rebooted>(() => Fence.Stop(console, "the record could not be renewed", "rebooting now", () => throw new Rebooted()));
            Assert.True(console.Entered.Wait(TimeSpan.FromSeconds(30)), "the message was tried");
        }
        finally
        {
            console.Release.Set();
        }
    }
}
