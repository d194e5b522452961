using System.Threading.Channels;
using EdgeStore.Configuration;
using EdgeStore.Memory;
using EdgeStore.Storage;
using EdgeStore.Storage.Maintenance;
using EdgeStore.Testing;
using EdgeStore.Tests.EndToEnd;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeStore.Tests.Memory;

/// <summary>
/// The governor against a real database: /proc/self/maps must show every mapping of the database file
/// (writer, idle pooled readers, an in-use reader once closed) at most at the new limit, and the mapping
/// must grow back after the calm period. Pressure is synthetic here (a fixture tree); the real thing is
/// in <see cref="RealPressureTests"/>.
/// It counts mappings of the process it shares with every other test class of this assembly, and its idle pooled
/// readers live in Microsoft.Data.Sqlite's process-wide pool: a test running beside it that called
/// <c>SqliteConnection.ClearAllPools()</c> closed them (and their mappings) between the scans and the count
/// ("expected writer + 3 readers mapped, saw 2 mappings"). So it runs alone, in the non-parallel collection, and
/// no test clears every pool any more.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class MappingShrinkTests : IAsyncLifetime
{
    private const long MiB = 1024 * 1024;
    private const int SeedRows = 12_000;
    private static readonly MemoryFiles LiveFiles = new("/");
    private readonly string _directory = Directory.CreateTempSubdirectory("edgestore-mapshrink-").FullName;
    private readonly CancellationTokenSource _stop = new();
    private readonly Channel<IngestRecord> _input = Channel.CreateBounded<IngestRecord>(1000);
    private TelemetryDatabase _database = null!;
    private BatchWriter _writer = null!;
    private Task _writerRun = Task.CompletedTask;
    private long _committed;
    private long _nextSequence;

    private string DatabasePath => _database.Connections.DatabasePath;

    public async Task InitializeAsync()
    {
        var options = new StorageOptions
        {
            Path = Path.Combine(_directory, "telemetry.db"),
            MmapSizeBytes = 64 * MiB,
            CacheSizeBytes = 8 * MiB,
        };
        _database = await TelemetryDatabase.OpenAsync(options, NullLoggerFactory.Instance, TimeProvider.System, CancellationToken.None);
        _writer = _database.CreateWriter();
        _writerRun = _writer.RunAsync(_input.Reader, (batch, _) =>
        {
            Interlocked.Add(ref _committed, batch.Inserted);
            return ValueTask.CompletedTask;
        }, _stop.Token);
    }

    public async Task DisposeAsync()
    {
        _input.Writer.TryComplete();
        await _writerRun.WaitAsync(TimeSpan.FromSeconds(60));
        await _writer.DisposeAsync();
        await _database.DisposeAsync(); // clears this database's reader pool, and only it
        _stop.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Lowered_limit_shrinks_writer_and_reader_mappings_and_calm_grows_them_back()
    {
        await WriteRowsAsync(SeedRows); // ~12k x 4 KiB payloads: a database of roughly 50 MiB
        var fileBytes = new FileInfo(DatabasePath).Length;
        Assert.True(fileBytes > 40 * MiB, $"database is {fileBytes} bytes");

        // Three readers scan the whole file (open at once, so the pool hands out three handles); two go back
        // to the pool, idle, each keeping its mapping; the third stays in use across the change.
        var inUse = _database.Connections.OpenReader();
        using (var a = _database.Connections.OpenReader())
        using (var b = _database.Connections.OpenReader())
        {
            Scan(a);
            Scan(b);
            Scan(inUse);
        }
        await WriteRowsAsync(50); // the writer has read pages too
        var before = ProcessMappings.Of(DatabasePath);
        Assert.True(before.Count >= 4, $"expected writer + 3 readers mapped, saw {before}");
        Assert.True(before.LargestBytes > 32 * MiB, $"expected mappings above 32 MiB before, saw {before}");

        using var rig = new MemoryRig("v2-only", new MemorySettings { StepDownHoldSeconds = 0, CalmPeriodSeconds = 60 });
        var target = new SqliteMemoryLimitTarget(_database.Connections, LiveFiles);
        // The fixture's cgroup is limited to 512 MiB: the cap is 128 MiB and 64 MiB passes unclamped.
        await rig.Governor.AttachStorageAsync(target, 64 * MiB, 8 * MiB, CancellationToken.None);
        using var trickle = StartTrickle();

        // Elevated: half of 64 MiB.
        rig.CgroupPsi(some: 15);
        rig.Tick();
        await rig.Governor.ReconcileAsync(CancellationToken.None);
        Assert.Equal(32 * MiB, _database.Connections.MmapSizeBytes);
        var elevated = await WaitForMappingsAsync(m => m.CountLargerThan(32 * MiB) <= 1 && m.CountLargerThan(0) >= 2, "writer at 32 MiB, only the in-use reader above");
        Assert.Equal(1, elevated.CountLargerThan(32 * MiB));
        inUse.Dispose(); // returned to a cleared pool: disposed, its mapping goes
        await WaitForMappingsAsync(m => m.LargestBytes <= 32 * MiB, "every mapping at most 32 MiB");
        Assert.True(rig.Governor.Counters.ConnectionsRecycled >= 2, $"the two idle pooled readers were recycled: {rig.Governor.Counters.ConnectionsRecycled}");

        // Critical: no mapping at all, cache lowered, shrink_memory on the writer.
        rig.CgroupPsi(some: 0, full: 8);
        rig.Tick();
        await rig.Governor.ReconcileAsync(CancellationToken.None);
        Assert.Equal(0, _database.Connections.MmapSizeBytes);
        Assert.Equal(2 * MiB, _database.Connections.CacheSizeBytes);
        await WaitForMappingsAsync(m => m.Count == 0, "no mapping of the database at mmap 0");
        using (var reader = _database.Connections.OpenReader())
        {
            Scan(reader);
            Assert.Equal(0, ProcessMappings.Of(DatabasePath).Count);
        }

        // Calm: back to Normal, one step per 60 s.
        rig.CgroupPsi(some: 0);
        rig.Tick();
        await rig.Governor.ReconcileAsync(CancellationToken.None);
        Assert.Equal(0, _database.Connections.MmapSizeBytes);
        rig.Clock.Advance(TimeSpan.FromSeconds(60));
        await rig.Governor.ReconcileAsync(CancellationToken.None);
        Assert.Equal(32 * MiB, _database.Connections.MmapSizeBytes);
        rig.Clock.Advance(TimeSpan.FromSeconds(60));
        await rig.Governor.ReconcileAsync(CancellationToken.None);
        Assert.Equal(64 * MiB, _database.Connections.MmapSizeBytes);
        Assert.Equal(8 * MiB, _database.Connections.CacheSizeBytes);

        using (var reader = _database.Connections.OpenReader())
        {
            Scan(reader);
            var grown = ProcessMappings.Of(DatabasePath);
            Assert.True(grown.LargestBytes > 32 * MiB && grown.LargestBytes <= 64 * MiB, $"a reader maps the file beyond 32 MiB again: {grown}");
        }

        await WaitForMappingsAsync(m => m.CountLargerThan(32 * MiB) >= 2, "the writer maps beyond 32 MiB again too");

        // Ingestion went on through every change.
        var committedBefore = Interlocked.Read(ref _committed);
        await WaitUntilAsync(() => Interlocked.Read(ref _committed) > committedBefore + 10, "rows still committed after the changes");
        Assert.Equal(4, rig.Governor.Counters.LimitChanges);
        Assert.Equal(64 * MiB, rig.Status.MmapLimitBytes);
    }

    private Task<ProcessMappings> WaitForMappingsAsync(Func<ProcessMappings, bool> condition, string what) =>
        Wait.ForAsync(() => ProcessMappings.Of(DatabasePath), condition, TimeSpan.FromSeconds(60), $"{what} (/proc/self/maps for {DatabasePath})");

    private static Task WaitUntilAsync(Func<bool> condition, string what) => Wait.UntilAsync(condition, TimeSpan.FromSeconds(60), what);

    private static void Scan(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT sum(length(payload)) FROM messages";
        Assert.True(Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) > 0);
    }

    private async Task WriteRowsAsync(int rows)
    {
        var target = Interlocked.Read(ref _committed) + rows;
        var payload = new byte[4000];
        for (var i = 0; i < rows; i++)
        {
            Random.Shared.NextBytes(payload);
            await _input.Writer.WriteAsync(Record(payload.ToArray()));
        }

        await WaitUntilAsync(() => Interlocked.Read(ref _committed) >= target, $"{rows} rows committed");
    }

    private IngestRecord Record(byte[] payload)
    {
        var sequence = Interlocked.Increment(ref _nextSequence);
        return new IngestRecord($"sensors/dev-{sequence % 50:0000}/telemetry", payload, 1, false,
            DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), null, sequence, null, 0);
    }

    private CancellationTokenSource StartTrickle()
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        _ = Task.Run(async () =>
        {
            while (!cts.IsCancellationRequested)
            {
                await _input.Writer.WriteAsync(Record(new byte[200]), cts.Token);
                await Task.Delay(20, cts.Token);
            }
        }, cts.Token).ContinueWith(_ => { }, TaskScheduler.Default);
        return cts;
    }
}
