using System.Collections.Concurrent;
using System.Threading.Channels;
using EdgeStore.Maintenance;
using EdgeStore.Safety;
using EdgeStore.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using EdgeStore.Testing;

namespace EdgeStore.Tests.Maintenance;

/// <summary>
/// A real database with the real batch writer running: records go through a bounded channel, and
/// a record's tag counts as acknowledged only when the writer reports it committed (and the ack
/// gate, when given, allows it). Tags are also the device sequence, so rows can be matched to acks.
/// </summary>
internal sealed class StoreUnderLoad : IAsyncDisposable
{
    private readonly Channel<IngestRecord> _input = Channel.CreateBounded<IngestRecord>(new BoundedChannelOptions(5000) { FullMode = BoundedChannelFullMode.Wait });
    private readonly CancellationTokenSource _stop = new();
    private readonly DiskGuard? _gate;
    private Task _writerTask = Task.CompletedTask;
    private long _nextTag;

    private StoreUnderLoad(TelemetryDatabase database, BatchWriter writer, DiskGuard? gate)
    {
        Database = database;
        Writer = writer;
        _gate = gate;
    }

    public TelemetryDatabase Database { get; }

    public BatchWriter Writer { get; }

    public string Path => Database.Connections.DatabasePath;

    /// <summary>Tags whose commit was reported (and allowed through the gate): "acknowledged".</summary>
    public ConcurrentDictionary<long, byte> Acknowledged { get; } = new();

    /// <summary>Tags written with a receive time old enough for retention to delete.</summary>
    public ConcurrentDictionary<long, byte> WrittenOld { get; } = new();

    public long LastTag => Interlocked.Read(ref _nextTag);

    /// <summary>The writer loop; faulted when the writer stopped on an error.</summary>
    public Task WriterTask => _writerTask;

    public static async Task<StoreUnderLoad> StartAsync(string path, long mmapBytes, DiskGuard? gate = null, ILoggerFactory? loggerFactory = null, int maxBatchRows = 500)
    {
        var options = new StorageOptions { Path = path, MmapSizeBytes = mmapBytes, MaxBatchRows = maxBatchRows, MaxBatchLatency = TimeSpan.FromMilliseconds(10) };
        var database = await TelemetryDatabase.OpenAsync(options, loggerFactory ?? NullLoggerFactory.Instance, TimeProvider.System, CancellationToken.None);
        var store = new StoreUnderLoad(database, database.CreateWriter(), gate);
        store._writerTask = store.Writer.RunAsync(store._input.Reader, store.OnCommittedAsync, store._stop.Token);
        return store;
    }

    public TelemetryMaintenanceDatabase MaintenanceView() => new(Database, Writer);

    /// <summary>Queues <paramref name="count"/> records received at <paramref name="receivedAt"/>; waits when the queue is full (back-pressure).</summary>
    public async Task WriteAsync(int count, DateTimeOffset receivedAt, int payloadBytes, CancellationToken ct, bool old = false)
    {
        var payload = new byte[payloadBytes];
        for (var i = 0; i < count; i++)
        {
            var tag = Interlocked.Increment(ref _nextTag);
            Random.Shared.NextBytes(payload);
            if (old)
            {
                WrittenOld[tag] = 0;
            }

            var record = new IngestRecord($"sensors/dev-{tag % 16:D4}/telemetry", payload.ToArray(), 1, false, receivedAt.ToUnixTimeMilliseconds(), receivedAt.ToUnixTimeMilliseconds(), tag, null, tag);
            await _input.Writer.WriteAsync(record, ct);
        }
    }

    /// <summary>Waits until every queued tag up to <see cref="LastTag"/> is acknowledged.</summary>
    public Task WaitAcknowledgedAsync(TimeSpan timeout) =>
        Wait.ForAsync(() => Acknowledged.Count, acknowledged => acknowledged >= LastTag, timeout, $"all {LastTag} records acknowledged");

    /// <summary>Device sequences present in the file, read like another process would (read-only, mmap 0).</summary>
    public static HashSet<long> StoredTags(string path)
    {
        using var connection = SqliteConnectionFactory.OpenReadOnly(path);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT device_seq FROM messages";
        using var reader = command.ExecuteReader();
        var tags = new HashSet<long>();
        while (reader.Read())
        {
            tags.Add(reader.GetInt64(0));
        }

        return tags;
    }

    public static string IntegrityCheck(string path)
    {
        using var connection = SqliteConnectionFactory.OpenReadOnly(path);
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA integrity_check";
        return Convert.ToString(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) ?? "no result";
    }

    /// <summary>Acknowledged tags that are missing from the file (retention's deletions of old rows excluded).</summary>
    public List<long> LostAcknowledged()
    {
        var stored = StoredTags(Path);
        return [.. Acknowledged.Keys.Where(tag => !stored.Contains(tag) && !WrittenOld.ContainsKey(tag)).Order()];
    }

    /// <summary>A query that reads every page of the messages table through this process's reader pool (mapped when mmap is on).</summary>
    public long ScanWithPooledReader()
    {
        using var connection = Database.Connections.OpenReader();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT count(*) + coalesce(sum(length(payload)), 0) FROM messages";
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public async Task StopWriterAsync()
    {
        _input.Writer.TryComplete();
        await _writerTask.WaitAsync(TimeSpan.FromMinutes(2));
    }

    public async ValueTask DisposeAsync()
    {
        _input.Writer.TryComplete();
        try
        {
            await _writerTask.WaitAsync(TimeSpan.FromMinutes(2));
        }
        catch (Exception ex) when (ex is OperationCanceledException or TimeoutException or SqliteException)
        {
            await _stop.CancelAsync();
        }

        await Writer.DisposeAsync();
        await Database.DisposeAsync();
        _stop.Dispose();
    }

    private async ValueTask OnCommittedAsync(CommittedBatch batch, CancellationToken ct)
    {
        if (_gate is not null)
        {
            await _gate.WaitUntilAllowedAsync(ct);
        }

        foreach (var tag in batch.AckTags)
        {
            Acknowledged[tag] = 0;
        }
    }
}
