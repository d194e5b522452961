using System.Collections.Concurrent;
using EdgeStore.Maintenance;
using EdgeStore.Safety;
using EdgeStore.Storage.Maintenance;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using EdgeStore.Testing;

namespace EdgeStore.Tests.Maintenance;

public sealed class MaintenanceProtocolTests : IDisposable
{
    private const long MmapBytes = 64L * 1024 * 1024;
    private readonly string _directory = Directory.CreateTempSubdirectory("edgestore-maint-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    internal static MaintenancePass NewPass(IMaintenanceDatabase database, MaintenanceOptions options, long restoreBytes, Action<string>? observer = null, bool forceVacuum = true)
    {
        var coordinator = new MaintenanceCoordinator(database, MmapRestoreLimit.Fixed(restoreBytes), TimeProvider.System, NullLogger<MaintenanceCoordinator>.Instance);
        return new MaintenancePass(coordinator, options, new StatvfsDiskSpaceProbe(), TimeProvider.System, NullLogger<MaintenancePass>.Instance)
        {
            ForceVacuum = forceVacuum,
            StepObserver = observer,
        };
    }

    [Fact]
    public async Task Vacuum_and_truncate_run_with_every_connection_at_mmap_zero_and_no_mapping_then_the_limit_is_restored()
    {
        var path = Path.Combine(_directory, "edgestore.db");
        await using var store = await StoreUnderLoad.StartAsync(path, MmapBytes);
        var now = DateTimeOffset.UtcNow;
        await store.WriteAsync(6000, now - TimeSpan.FromDays(100), 1024, CancellationToken.None, old: true);
        await store.WriteAsync(3000, now, 1024, CancellationToken.None);
        await store.WaitAcknowledgedAsync(TimeSpan.FromMinutes(2));

        // Before: readers with mmap on really map the file (so the check below can fail).
        using var stopReaders = new CancellationTokenSource();
        var readerErrors = new ConcurrentQueue<Exception>();
        var scans = 0L;
        var readers = Enumerable.Range(0, 3).Select(_ => Task.Run(() =>
        {
            while (!stopReaders.IsCancellationRequested)
            {
                try
                {
                    store.ScanWithPooledReader();
                    Interlocked.Increment(ref scans);
                }
                catch (Exception ex)
                {
                    readerErrors.Enqueue(ex);
                }
            }
        })).ToArray();
        await Wait.UntilAsync(() => ProcessMappings.Of(path).Count > 0, TimeSpan.FromSeconds(5), "readers with mmap on map the database file before maintenance");

        // During the shrinking steps a sampler looks at every connection and at /proc/self/maps, continuously.
        var inShrinkingStep = 0;
        var samples = 0;
        var violations = new ConcurrentQueue<string>();
        var database = store.MaintenanceView();
        using var stopSampler = new CancellationTokenSource();
        var sampler = Task.Run(() =>
        {
            while (!stopSampler.IsCancellationRequested)
            {
                if (Volatile.Read(ref inShrinkingStep) != 0)
                {
                    Interlocked.Increment(ref samples);
                    var live = database.LiveConnectionMmapBytes();
                    if (live.Any(bytes => bytes != 0))
                    {
                        violations.Enqueue("connection with mmap > 0: " + string.Join(",", live));
                    }

                    var mapped = ProcessMappings.Of(path).Count;
                    if (mapped > 0)
                    {
                        violations.Enqueue($"{mapped} mappings of the db in /proc/self/maps");
                    }
                }

                Thread.Yield();
            }
        });
        var steps = new ConcurrentQueue<string>();
        var pass = NewPass(database, new MaintenanceOptions { MessagesRetentionDays = 30, RetentionChunkRows = 1000 }, MmapBytes, step =>
        {
            steps.Enqueue(step);
            if (step.EndsWith("-start", StringComparison.Ordinal))
            {
                // Checked synchronously too, at the very start of each step.
                if (database.LiveConnectionMmapBytes().Any(bytes => bytes != 0) || ProcessMappings.Of(path).Count > 0)
                {
                    violations.Enqueue("mapped at " + step);
                }

                Interlocked.Increment(ref samples);
                Volatile.Write(ref inShrinkingStep, 1);
            }
            else
            {
                Volatile.Write(ref inShrinkingStep, 0);
            }
        });

        // Ingestion continues during the pass.
        var ingest = store.WriteAsync(2000, now, 512, CancellationToken.None);
        var result = await pass.RunAsync("test", MaintenanceDeadline.After(TimeProvider.System, TimeSpan.FromMinutes(5)), CancellationToken.None);
        await ingest;
        await stopSampler.CancelAsync();
        await sampler;

        Assert.True(result.Completed, result.Summary);
        Assert.True(result.MmapZeroVerified);
        Assert.Equal(6000, result.MessagesDeleted);
        Assert.True(result.Vacuumed, result.Summary);
        Assert.True(result.FileBytesAfter < result.FileBytesBefore, result.Summary);
        Assert.False(result.TruncateCheckpointBusy);
        Assert.Equal("ok", result.QuickCheck);
        Assert.Equal(["vacuum-start", "vacuum-end", "truncate-start", "truncate-end"], steps.ToArray());
        Assert.True(samples >= 2);
        Assert.Empty(violations);

        // Afterwards: the limit is restored for new opens and on the writer (at its next boundary), and readers map again.
        Assert.Equal(MmapBytes, result.RestoredMmapBytes);
        Assert.Equal(MmapBytes, store.Database.Connections.MmapSizeBytes);
        await store.WriteAsync(10, now, 64, CancellationToken.None);
        await store.WaitAcknowledgedAsync(TimeSpan.FromMinutes(1));
        var restoredReader = store.Database.Connections.OpenReader();
        await using (restoredReader)
        {
            Assert.Equal(MmapBytes, store.Database.Connections.LiveConnectionMappings().Max(m => m.MmapSizeBytes));
        }

        await stopReaders.CancelAsync();
        await Task.WhenAll(readers);
        Assert.Empty(readerErrors);
        Assert.True(scans > 0);
        Assert.Empty(store.LostAcknowledged());
        Assert.Equal("ok", StoreUnderLoad.IntegrityCheck(path));
    }

    [Fact]
    public async Task A_window_that_closes_during_retention_stops_and_the_next_window_resumes()
    {
        var path = Path.Combine(_directory, "edgestore.db");
        await using var store = await StoreUnderLoad.StartAsync(path, MmapBytes);
        var now = DateTimeOffset.UtcNow;
        await store.WriteAsync(5000, now - TimeSpan.FromDays(40), 64, CancellationToken.None, old: true);
        await store.WriteAsync(500, now, 64, CancellationToken.None);
        await store.WaitAcknowledgedAsync(TimeSpan.FromMinutes(2));

        // The window's clock: each deleted chunk takes "ten minutes", and the window has twenty-five left.
        var clock = new FakeTimeProvider(now);
        var database = new ChunkTimedDatabase(store.MaintenanceView(), clock, TimeSpan.FromMinutes(10));
        var coordinator = new MaintenanceCoordinator(database, MmapRestoreLimit.Fixed(MmapBytes), TimeProvider.System, NullLogger<MaintenanceCoordinator>.Instance);
        var options = new MaintenanceOptions { MessagesRetentionDays = 30, RetentionChunkRows = 1000 };
        var pass = new MaintenancePass(coordinator, options, new StatvfsDiskSpaceProbe(), clock, NullLogger<MaintenancePass>.Instance);

        var first = await pass.RunAsync("window", new MaintenanceDeadline(clock, now + TimeSpan.FromMinutes(25)), CancellationToken.None);
        Assert.False(first.Completed);
        Assert.Contains("retention", first.StoppedBecause, StringComparison.Ordinal);
        Assert.Equal(3000, first.MessagesDeleted);
        Assert.Null(first.QuickCheck);
        Assert.Equal(MmapBytes, store.Database.Connections.MmapSizeBytes);

        // Next window: a day later, long enough.
        clock.Advance(TimeSpan.FromDays(1));
        var second = await pass.RunAsync("window", new MaintenanceDeadline(clock, clock.GetUtcNow() + TimeSpan.FromHours(2)), CancellationToken.None);
        Assert.True(second.Completed, second.Summary);
        Assert.Equal(2000, second.MessagesDeleted);
        Assert.Equal(500, StoreUnderLoad.StoredTags(path).Count);
        Assert.Empty(store.LostAcknowledged());
    }

    /// <summary>Real database; every write on the writer connection "takes" a fixed time on the window's clock.</summary>
    private sealed class ChunkTimedDatabase(IMaintenanceDatabase inner, FakeTimeProvider clock, TimeSpan perCall) : IMaintenanceDatabase
    {
        public string DatabasePath => inner.DatabasePath;

        public Task<IAsyncDisposable> PauseWriterAsync(CancellationToken ct) => inner.PauseWriterAsync(ct);

        public async Task<T> RunOnWriterAsync<T>(Func<Microsoft.Data.Sqlite.SqliteConnection, CancellationToken, Task<T>> work, CancellationToken ct)
        {
            var result = await inner.RunOnWriterAsync(work, ct);
            if (result is EdgeStore.Storage.Maintenance.RetentionChunk)
            {
                clock.Advance(perCall);
            }

            return result;
        }

        public long ApplyMmapSize(Microsoft.Data.Sqlite.SqliteConnection connection, long mmapBytes) => inner.ApplyMmapSize(connection, mmapBytes);

        public void SetMmapLimit(long mmapBytes) => inner.SetMmapLimit(mmapBytes);

        public void ClearReaderPool() => inner.ClearReaderPool();

        public IReadOnlyList<long> LiveConnectionMmapBytes() => inner.LiveConnectionMmapBytes();
    }
}
