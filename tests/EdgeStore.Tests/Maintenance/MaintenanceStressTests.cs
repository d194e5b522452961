using System.Collections.Concurrent;
using System.Diagnostics;
using EdgeStore.Maintenance;
using EdgeStore.Testing;
using EdgeStore.Tests.EndToEnd;
using Xunit.Abstractions;

namespace EdgeStore.Tests.Maintenance;

/// <summary>
/// Bounded in time (about 40 s): ingestion through the real batch writer, readers querying with mmap
/// on, a second process (the sqlite3 shell) reading, and maintenance windows forced every few seconds
/// with large deletes, VACUUM and TRUNCATE checkpoints. A SIGBUS would kill this test process.
/// It starts processes (sqlite3, `edgestore query`): one at a time with the other process tests.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class MaintenanceStressTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan StressDuration = TimeSpan.FromSeconds(40);
    private readonly string _directory = Directory.CreateTempSubdirectory("edgestore-stress-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Windows_every_few_seconds_under_load_lose_nothing_and_keep_the_file_intact()
    {
        const long mmapBytes = 64L << 20;
        var path = Path.Combine(_directory, "edgestore.db");
        await using var store = await StoreUnderLoad.StartAsync(path, mmapBytes);
        using var stop = new CancellationTokenSource();
        var errors = new ConcurrentQueue<string>();

        // Ingestion: each round a block of "old" rows (retention deletes them next window) and new ones.
        var producer = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await store.WriteAsync(1500, DateTimeOffset.UtcNow - TimeSpan.FromDays(60), 700, CancellationToken.None, old: true);
                await store.WriteAsync(500, DateTimeOffset.UtcNow, 300, CancellationToken.None);
                await Task.Delay(50);
            }
        });

        // In-process readers with mmap on (outside windows).
        var scans = 0L;
        var readers = Enumerable.Range(0, 3).Select(_ => Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    store.ScanWithPooledReader();
                    Interlocked.Increment(ref scans);
                }
                catch (Exception ex)
                {
                    errors.Enqueue("reader: " + ex.Message);
                }
            }
        })).ToArray();

        // A second process reading the whole time.
        var shellRuns = new ConcurrentQueue<int>();
        var shell = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                shellRuns.Enqueue(await RunSqliteShellAsync(path, "PRAGMA busy_timeout=10000; SELECT count(*), sum(length(payload)) FROM messages;"));
            }
        });

        // And `edgestore query`, a separate process opening read-only with mmap 0.
        var queryRuns = new ConcurrentQueue<int>();
        var query = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                queryRuns.Enqueue(await RunEdgestoreQueryAsync(path));
            }
        });

        // Windows forced every three seconds.
        var results = new List<MaintenanceResult>();
        var pass = MaintenanceProtocolTests.NewPass(store.MaintenanceView(), new MaintenanceOptions { MessagesRetentionDays = 30, RetentionChunkRows = 5000, CheckpointRetryDelay = TimeSpan.FromMilliseconds(500) }, mmapBytes);
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < StressDuration || ((results.Count < 5 || !results.Any(r => r.Vacuumed)) && watch.Elapsed < 3 * StressDuration))
        {
            await Task.Delay(TimeSpan.FromSeconds(3));
            results.Add(await pass.RunAsync("stress", MaintenanceDeadline.After(TimeProvider.System, TimeSpan.FromSeconds(20)), CancellationToken.None));
        }

        await stop.CancelAsync();
        await producer;
        await Task.WhenAll(readers);
        await shell;
        await query;
        await store.WaitAcknowledgedAsync(TimeSpan.FromMinutes(2));
        await store.StopWriterAsync();

        foreach (var result in results)
        {
            output.WriteLine(result.Summary);
        }

        output.WriteLine($"{store.Acknowledged.Count} acknowledged, {Interlocked.Read(ref scans)} scans, sqlite3 runs {shellRuns.Count} (exit codes {string.Join(",", shellRuns.Distinct())}), edgestore query runs {queryRuns.Count} (exit codes {string.Join(",", queryRuns.Distinct())})");
        Assert.Empty(errors);
        Assert.True(results.Count >= 5, $"only {results.Count} windows ran");
        Assert.All(results, r => Assert.True(r.MmapZeroVerified, r.Summary));
        // On a loaded machine a window may skip VACUUM because its time estimate does not fit what is left of the
        // window (that is the window bound working); the stress still needs VACUUM and TRUNCATE under readers.
        Assert.True(results.Count(r => r.Vacuumed) >= 1, "VACUUM never ran in any window");
        Assert.True(results.Count(r => r.TruncateCheckpointBusy == false) >= 1, "no TRUNCATE checkpoint completed");
        Assert.True(results.Sum(r => r.MessagesDeleted) > 10_000, "retention should have deleted the old rows");
        Assert.DoesNotContain(results, r => r.QuickCheck is not null && r.QuickCheck != "ok");
        Assert.NotEmpty(shellRuns);
        Assert.DoesNotContain(shellRuns, code => code >= 128); // killed by a signal (SIGBUS is 135)
        Assert.Contains(0, shellRuns);
        Assert.NotEmpty(queryRuns);
        Assert.DoesNotContain(queryRuns, code => code >= 128);
        Assert.Contains(0, queryRuns);
        Assert.Equal("ok", StoreUnderLoad.IntegrityCheck(path));
        var lost = store.LostAcknowledged();
        Assert.True(lost.Count == 0, $"{lost.Count} acknowledged rows missing, first {string.Join(",", lost.Take(5))}");
    }

    /// <summary>`edgestore query` in its own process; its exit code, or -1 when it did not finish within a minute.</summary>
    internal static Task<int> RunEdgestoreQueryAsync(string path) =>
        ExitCodeAsync(EdgeStoreProcess.Start(["query", "--db", path, "--topic", "sensors/#", "--desc", "--limit", "2000", "--format", "jsonl"]));

    /// <summary>The sqlite3 shell in its own process; its exit code, or -1 when it did not finish within a minute.</summary>
    internal static Task<int> RunSqliteShellAsync(string path, string sql) =>
        ExitCodeAsync(EdgeStoreProcess.StartProgram("sqlite3", [path, sql]));

    private static async Task<int> ExitCodeAsync(EdgeStoreProcess process)
    {
        await using (process)
        {
            try
            {
                return await process.WaitForExitAsync(TimeSpan.FromSeconds(60));
            }
            catch (TimeoutException)
            {
                return -1; // killed on dispose
            }
        }
    }
}
