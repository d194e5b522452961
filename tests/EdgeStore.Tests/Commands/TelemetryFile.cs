using System.Text;
using System.Threading.Channels;
using EdgeStore.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeStore.Tests.Commands;

/// <summary>
/// A real EdgeStore database for the command tests, written by the project's own storage code (migration and batch
/// writer), then closed as the daemon leaves it.
/// </summary>
internal static class TelemetryFile
{
    /// <summary>2026-05-01T12:00:00Z, the reference time of the command tests' rows.</summary>
    public static readonly DateTimeOffset Noon = new(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);

    public static async Task CreateAsync(string path, IEnumerable<IngestRecord> records)
    {
        await using var database = await TelemetryDatabase.OpenAsync(new StorageOptions { Path = path }, NullLoggerFactory.Instance, TimeProvider.System, CancellationToken.None);
        await using var writer = database.CreateWriter();
        var channel = Channel.CreateUnbounded<IngestRecord>();
        foreach (var record in records)
        {
            channel.Writer.TryWrite(record);
        }

        channel.Writer.Complete();
        await writer.RunAsync(channel.Reader, (_, _) => ValueTask.CompletedTask, CancellationToken.None);
    }

    public static IngestRecord Message(string topic, string payload, DateTimeOffset receivedAt, DateTimeOffset? deviceTime = null, long? seq = null) =>
        new(topic, Encoding.UTF8.GetBytes(payload), 1, false, receivedAt.ToUnixTimeMilliseconds(), deviceTime?.ToUnixTimeMilliseconds(), seq, null, 0);

    public static IngestRecord Quarantined(string topic, string payload, DateTimeOffset receivedAt, string reason) =>
        new(topic, Encoding.UTF8.GetBytes(payload), 1, false, receivedAt.ToUnixTimeMilliseconds(), null, null, reason, 0);
}
