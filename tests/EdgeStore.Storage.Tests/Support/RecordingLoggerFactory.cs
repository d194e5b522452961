using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace EdgeStore.Storage.Tests.Support;

/// <summary>Keeps every log line so tests can assert what an operator would see.</summary>
public sealed class RecordingLoggerFactory : ILoggerFactory
{
    public ConcurrentQueue<LogEntry> Entries { get; } = new();

    public ILogger CreateLogger(string categoryName) => new RecordingLogger(this, categoryName);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    public IReadOnlyList<LogEntry> WithEventId(int id) => [.. Entries.Where(e => e.EventId.Id == id)];

    public sealed record LogEntry(LogLevel Level, string Category, EventId EventId, string Message, Exception? Exception);

    private sealed class RecordingLogger(RecordingLoggerFactory owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Entries.Enqueue(new LogEntry(logLevel, category, eventId, formatter(state, exception), exception));
    }
}
