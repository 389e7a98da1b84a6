using Microsoft.Extensions.Logging;
using SmbRoot.Fencing;
using Xunit;

namespace SmbRoot.Tests.Fencing;

public class BackgroundWorkTests
{
    private sealed class Lines : ILogger
    {
        public readonly List<string> Written = [];
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Written.Add(formatter(state, exception));
    }

    /// <summary>An exception that leaves a thread of PID 1 would end it, and the kernel would panic.</summary>
    [Fact]
    public void What_escapes_the_work_is_reported_and_the_work_starts_again()
    {
        var log = new Lines();
        int runs = 0;
        BackgroundWork.Contain("image watch", log, () =>
        {
            if (++runs < 3) throw new ArgumentOutOfRangeException("seconds", "past the year 9999");
        }, TimeSpan.Zero);
        Assert.Equal(3, runs);
        Assert.Equal(2, log.Written.Count);
        Assert.StartsWith("image watch: unexpected ArgumentOutOfRangeException: past the year 9999", log.Written[0]);
    }
}
