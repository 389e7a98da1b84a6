using Microsoft.Extensions.Logging;

namespace SmbRoot.Tests;

/// <summary>A logger that keeps what is written, for the tests to read.</summary>
internal sealed class WrittenLog : ILogger
{
    public readonly List<string> Written = [];
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
    public bool IsEnabled(LogLevel logLevel) => true;
    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        Written.Add(formatter(state, exception));
}
