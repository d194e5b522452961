using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace EdgeStore.Testing;

/// <summary>One log call as it was made: what an operator would read, with its level, category and event id.</summary>
public sealed record LogEntry(LogLevel Level, string Category, EventId EventId, string Message, Exception? Exception)
{
    /// <summary>"Level: message", the form tests match lines against.</summary>
    public override string ToString() => $"{Level}: {Message}";
}

/// <summary>
/// The one recording logger of the test projects: keeps every log call (all levels enabled) so a test can assert
/// what an operator would see. Loggers made by one <see cref="RecordingLoggerFactory"/> share its entries.
/// </summary>
public class RecordingLogger : ILogger
{
    private readonly ConcurrentQueue<LogEntry> _entries;

    public RecordingLogger(string category = "")
        : this(category, new ConcurrentQueue<LogEntry>())
    {
    }

    internal RecordingLogger(string category, ConcurrentQueue<LogEntry> entries)
    {
        Category = category;
        _entries = entries;
    }

    public string Category { get; }

    /// <summary>Every entry so far, in the order logged.</summary>
    public IReadOnlyList<LogEntry> Entries => [.. _entries];

    /// <summary>Every entry as "Level: message".</summary>
    public IReadOnlyList<string> Lines => [.. _entries.Select(e => e.ToString())];

    public IReadOnlyList<LogEntry> WithEventId(int id) => [.. _entries.Where(e => e.EventId.Id == id)];

    /// <summary>How many messages contain <paramref name="fragment"/>.</summary>
    public int Count(string fragment) => _entries.Count(e => e.Message.Contains(fragment, StringComparison.Ordinal));

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        _entries.Enqueue(new LogEntry(logLevel, Category, eventId, formatter(state, exception), exception));
    }

    /// <summary>Every line, for assertion messages.</summary>
    public override string ToString() => string.Join('\n', Lines);
}

/// <summary>A <see cref="RecordingLogger"/> for code that asks for an <see cref="ILogger{TCategoryName}"/>.</summary>
public sealed class RecordingLogger<T> : RecordingLogger, ILogger<T>
{
    public RecordingLogger()
        : base(typeof(T).FullName ?? typeof(T).Name)
    {
    }
}

/// <summary>Hands out <see cref="RecordingLogger"/>s that all record into <see cref="Entries"/>.</summary>
public sealed class RecordingLoggerFactory : ILoggerFactory
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();

    public IReadOnlyList<LogEntry> Entries => [.. _entries];

    public IReadOnlyList<LogEntry> WithEventId(int id) => [.. _entries.Where(e => e.EventId.Id == id)];

    public ILogger CreateLogger(string categoryName) => new RecordingLogger(categoryName, _entries);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }
}
