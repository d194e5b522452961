using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace EdgeStore.Mqtt.Tests.Client;

/// <summary>Keeps every formatted log line so tests can assert what an operator would see.</summary>
internal sealed class ListLogger : ILogger<MqttClient>
{
    public ConcurrentQueue<(LogLevel Level, string Text)> Lines { get; } = new();

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => true;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        Lines.Enqueue((logLevel, formatter(state, exception)));
    }

    public int Count(string fragment) => Lines.Count(l => l.Text.Contains(fragment, StringComparison.Ordinal));

    public override string ToString() => string.Join('\n', Lines.Select(l => $"{l.Level}: {l.Text}"));
}
