using System.Threading.Channels;
using EdgeStore.Storage.Maintenance;
using EdgeStore.Storage.Tests.Support;
using Microsoft.Data.Sqlite;
using EdgeStore.Testing;

namespace EdgeStore.Storage.Tests.Connections;

/// <summary>The hooks the memory governor and maintenance build on: limits changed at run time reach every connection.</summary>
public sealed class MemoryLimitsTests : IAsyncLifetime
{
    private const long Mib = 1024 * 1024;
    private readonly TestStorage _storage = new();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await _storage.DisposeAsync();

    [Fact]
    public async Task Lowering_mmap_disposes_the_idle_pooled_reader_and_its_mapping()
    {
        var database = await FilledDatabaseAsync();
        using (var reader = database.Connections.OpenReader())
        {
            ScanEverything(reader);
        }

        // Idle in the pool, the reader keeps its mapping of the whole file.
        Assert.Contains(ProcessMappings.Of(_storage.DatabasePath).SizesBytes, size => size > 4 * Mib);

        database.Connections.SetMemoryLimits(1 * Mib, 2 * Mib);

        Assert.Empty(ProcessMappings.Of(_storage.DatabasePath).SizesBytes);
        using var fresh = database.Connections.OpenReader();
        var profile = SqliteConnectionFactory.ReadProfile(fresh);
        Assert.Equal(1 * Mib, profile.MmapSizeBytes);
        Assert.Equal(2 * Mib, profile.CacheSizeBytes);
        ScanEverything(fresh);
        Assert.All(ProcessMappings.Of(_storage.DatabasePath).SizesBytes, size => Assert.True(size <= 1 * Mib, $"mapping of {size} bytes"));
        Assert.Equal([new ConnectionMapping(SqliteConnectionRole.Reader, 1 * Mib)], database.Connections.LiveConnectionMappings());
    }

    [Fact]
    public async Task A_reader_in_use_keeps_its_mapping_until_closed_and_is_then_disposed()
    {
        var database = await FilledDatabaseAsync();
        var busy = database.Connections.OpenReader();
        ScanEverything(busy);

        database.Connections.SetMemoryLimits(0, 2 * Mib);

        Assert.Contains(new ConnectionMapping(SqliteConnectionRole.Reader, 64 * Mib), database.Connections.LiveConnectionMappings());
        Assert.Contains(ProcessMappings.Of(_storage.DatabasePath).SizesBytes, size => size > 4 * Mib);
        busy.Dispose();
        Assert.Empty(ProcessMappings.Of(_storage.DatabasePath).SizesBytes);
        Assert.Empty(database.Connections.LiveConnectionMappings());
    }

    [Fact]
    public async Task The_writer_applies_new_limits_at_its_next_batch_boundary()
    {
        var database = await FilledDatabaseAsync();
        var writer = database.CreateWriter();
        var channel = Channel.CreateUnbounded<IngestRecord>();
        var committed = 0;
        using var stop = new CancellationTokenSource();
        var run = writer.RunAsync(channel.Reader, (b, _) =>
        {
            Interlocked.Add(ref committed, b.Records);
            return ValueTask.CompletedTask;
        }, stop.Token);
        await writer.RunOnWriterAsync((connection, _) =>
        {
            ScanEverything(connection);
            return Task.CompletedTask;
        }, CancellationToken.None);
        Assert.Contains(ProcessMappings.Of(_storage.DatabasePath).SizesBytes, size => size > 4 * Mib);
        Assert.Equal([new ConnectionMapping(SqliteConnectionRole.Writer, 64 * Mib)], database.Connections.LiveConnectionMappings());

        database.Connections.SetMemoryLimits(1 * Mib, 2 * Mib, shrinkMemory: true);
        channel.Writer.TryWrite(TestStorage.Record("sensors/next", "after the change", seq: 1));
        await Wait.UntilAsync(() => Volatile.Read(ref committed) == 1, TestStorage.Patience, "the next batch committed");

        Assert.Equal([new ConnectionMapping(SqliteConnectionRole.Writer, 1 * Mib)], database.Connections.LiveConnectionMappings());
        PragmaProfile? profile = null;
        await writer.RunOnWriterAsync((connection, _) =>
        {
            profile = SqliteConnectionFactory.ReadProfile(connection);
            ScanEverything(connection);
            return Task.CompletedTask;
        }, CancellationToken.None);
        Assert.Equal(1 * Mib, profile!.MmapSizeBytes);
        Assert.Equal(2 * Mib, profile.CacheSizeBytes);
        var mappings = ProcessMappings.Of(_storage.DatabasePath).SizesBytes;
        Assert.NotEmpty(mappings);
        Assert.All(mappings, size => Assert.True(size <= 1 * Mib, $"mapping of {size} bytes"));
        Assert.Contains("mmap 1 MiB", _storage.Logs.WithEventId(3006)[^1].Message, StringComparison.Ordinal);

        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task An_idle_writer_applies_new_limits_without_waiting_for_data()
    {
        var database = await FilledDatabaseAsync();
        var writer = database.CreateWriter();
        var channel = Channel.CreateUnbounded<IngestRecord>();
        using var stop = new CancellationTokenSource();
        var run = writer.RunAsync(channel.Reader, (_, _) => ValueTask.CompletedTask, stop.Token);

        database.Connections.MmapSizeBytes = 2 * Mib;

        await Wait.UntilAsync(() => database.Connections.LiveConnectionMappings().SequenceEqual([new ConnectionMapping(SqliteConnectionRole.Writer, 2 * Mib)]), TestStorage.Patience, "the idle writer applied mmap 2 MiB");
        Assert.Equal(2 * Mib, database.Connections.MmapSizeBytes);
        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Maintenance_can_hold_the_paused_writer_at_mmap_0_and_the_writer_restores_the_limit_on_resume()
    {
        var database = await FilledDatabaseAsync();
        var writer = database.CreateWriter();
        var channel = Channel.CreateUnbounded<IngestRecord>();
        using var stop = new CancellationTokenSource();
        var run = writer.RunAsync(channel.Reader, (_, _) => ValueTask.CompletedTask, stop.Token);
        var writerAt64 = new[] { new ConnectionMapping(SqliteConnectionRole.Writer, 64 * Mib) };

        var pause = await writer.PauseAsync(CancellationToken.None);
        long readBack = -1;
        await writer.RunOnWriterAsync((connection, _) =>
        {
            readBack = database.Connections.ApplyMmapSize(connection, 0);
            ScanEverything(connection);
            return Task.CompletedTask;
        }, CancellationToken.None);
        await Task.Delay(700); // more than a heartbeat interval: a paused writer must not touch its connection

        Assert.Equal(0, readBack);
        Assert.Equal([new ConnectionMapping(SqliteConnectionRole.Writer, 0)], database.Connections.LiveConnectionMappings());
        Assert.Empty(ProcessMappings.Of(_storage.DatabasePath).SizesBytes);

        await pause.DisposeAsync();
        await Wait.UntilAsync(() => database.Connections.LiveConnectionMappings().SequenceEqual(writerAt64), TestStorage.Patience, "the writer restored mmap 64 MiB");
        await stop.CancelAsync();
        await run.WaitAsync(TimeSpan.FromSeconds(30));
    }

    // About 6 MiB of rows, checkpointed into the main file (the writer is closed), with mmap at 64 MiB.
    private async Task<TelemetryDatabase> FilledDatabaseAsync()
    {
        var payload = new string('p', 2300);
        await using (var database = await TelemetryDatabase.OpenAsync(_storage.Options(), _storage.Logs, TimeProvider.System, CancellationToken.None))
        {
            await TestStorage.WriteAllAsync(database.CreateWriter(),
                Enumerable.Range(1, 3000).Select(i => TestStorage.Record($"sensors/d{i % 10}", payload + i, seq: i, deviceTs: i)));
        }

        Assert.True(new FileInfo(_storage.DatabasePath).Length > 6 * Mib);
        return await _storage.OpenAsync(o => o.MmapSizeBytes = 64 * Mib);
    }

    private static void ScanEverything(SqliteConnection connection) =>
        Assert.True(SqliteConnectionFactory.ExecuteInt64(connection, "SELECT sum(length(payload)) FROM messages") > 6_000_000);
}
