using System.Text;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using EdgeStore.Testing;

namespace EdgeStore.Storage.Tests.Support;

/// <summary>A temporary directory holding a real database file, plus helpers to fill and inspect it.</summary>
public sealed class TestStorage : IAsyncDisposable
{
    private readonly List<TelemetryDatabase> _databases = [];

    public TestStorage()
    {
        Directory = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "edgestore-storage-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
        DatabasePath = System.IO.Path.Combine(Directory, "data", "edgestore.db");
    }

    public string Directory { get; }

    public string DatabasePath { get; }

    /// <summary>How long a test waits for something that should happen at once (a bound, never a speed assertion).</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    public RecordingLoggerFactory Logs { get; } = new();

    public StorageOptions Options(Action<StorageOptions>? configure = null)
    {
        var options = new StorageOptions { Path = DatabasePath };
        configure?.Invoke(options);
        return options;
    }

    public async Task<TelemetryDatabase> OpenAsync(Action<StorageOptions>? configure = null, TimeProvider? timeProvider = null)
    {
        var database = await TelemetryDatabase.OpenAsync(Options(configure), Logs, timeProvider ?? TimeProvider.System, CancellationToken.None);
        _databases.Add(database);
        return database;
    }

    /// <summary>A separate connection, as another process would open (read-only, mmap 0).</summary>
    public SqliteConnection OpenSeparateConnection() => SqliteConnectionFactory.OpenReadOnly(DatabasePath);

    public long Scalar(string sql)
    {
        using var connection = OpenSeparateConnection();
        return SqliteConnectionFactory.ExecuteInt64(connection, sql);
    }

    public static IngestRecord Record(string topic, string payload, long? seq = null, long? deviceTs = null, long ackTag = 0, long receivedAtMs = 1_767_225_600_000, string? quarantine = null, byte qos = 1, bool retain = false) =>
        new(topic, Encoding.UTF8.GetBytes(payload), qos, retain, receivedAtMs, deviceTs, seq, quarantine, ackTag);

    /// <summary>Feeds the records, completes the channel and runs the writer to the end; returns the reported batches.</summary>
    public static async Task<List<CommittedBatch>> WriteAllAsync(BatchWriter writer, IEnumerable<IngestRecord> records)
    {
        var channel = Channel.CreateUnbounded<IngestRecord>();
        foreach (var record in records)
        {
            channel.Writer.TryWrite(record);
        }

        channel.Writer.Complete();
        var batches = new List<CommittedBatch>();
        await writer.RunAsync(channel.Reader, (batch, _) =>
        {
            lock (batches)
            {
                batches.Add(batch);
            }

            return ValueTask.CompletedTask;
        }, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60));
        return batches;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var database in _databases)
        {
            await database.DisposeAsync();
        }

        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover temp directory must not fail a test.
        }
    }
}
