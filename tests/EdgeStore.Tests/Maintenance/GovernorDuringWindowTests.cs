using System.Collections.Concurrent;
using EdgeStore.Maintenance;
using EdgeStore.Memory;
using EdgeStore.Safety;
using EdgeStore.Storage.Maintenance;
using Microsoft.Extensions.Logging.Abstractions;
using EdgeStore.Testing;

namespace EdgeStore.Tests.Maintenance;

public sealed class GovernorDuringWindowTests : IDisposable
{
    private const long MmapBytes = 64L << 20;
    private readonly string _directory = Directory.CreateTempSubdirectory("edgestore-governor-window-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task Governor_pushes_during_a_window_keep_mmap_at_zero_and_the_window_hands_back_the_governors_limit()
    {
        var path = Path.Combine(_directory, "edgestore.db");
        await using var store = await StoreUnderLoad.StartAsync(path, MmapBytes);
        var now = DateTimeOffset.UtcNow;
        await store.WriteAsync(5000, now - TimeSpan.FromDays(100), 1024, CancellationToken.None, old: true);
        await store.WriteAsync(2000, now, 1024, CancellationToken.None);
        await store.WaitAcknowledgedAsync(TimeSpan.FromMinutes(2));

        var attachment = new MaintenanceAttachment(MmapRestoreLimit.Fixed(MmapBytes), TimeProvider.System, NullLoggerFactory.Instance);
        attachment.Attach(store.MaintenanceView());
        var target = new MaintenanceAwareMemoryLimitTarget(new SqliteMemoryLimitTarget(store.Database.Connections, new MemoryFiles()), attachment);

        var violations = new ConcurrentQueue<string>();
        var inShrinkingStep = 0;
        var database = attachment.Coordinator!.Database;
        var pass = new MaintenancePass(attachment.Coordinator, new MaintenanceOptions { MessagesRetentionDays = 30, RetentionChunkRows = 100 }, new StatvfsDiskSpaceProbe(), TimeProvider.System, NullLogger<MaintenancePass>.Instance)
        {
            ForceVacuum = true,
            StepObserver = step => Volatile.Write(ref inShrinkingStep, step.EndsWith("-start", StringComparison.Ordinal) ? 1 : 0),
        };

        // The governor pushes "full mmap" over and over while the pass runs; readers keep reading. On two busy cores
        // the pool must not starve the pusher, or no push would land inside the (short) window.
        ThreadPool.GetMinThreads(out var workers, out var completion);
        ThreadPool.SetMinThreads(Math.Max(workers, 16), completion);
        using var stop = new CancellationTokenSource();
        var pushes = 0;
        var pushesInWindow = 0;
        var pusher = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                await target.ApplyAsync(new MemoryLimits(MmapBytes, 8L << 20, false), CancellationToken.None);
                Interlocked.Increment(ref pushes);
                if (attachment.HoldsMmapAtZero)
                {
                    Interlocked.Increment(ref pushesInWindow);
                    if (store.Database.Connections.MmapSizeBytes != 0)
                    {
                        violations.Enqueue("factory limit raised during the window");
                    }
                }

                await Task.Delay(5);
            }
        });
        var reader = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                store.ScanWithPooledReader();
                Thread.Sleep(1);
                if (Volatile.Read(ref inShrinkingStep) != 0 && (database.LiveConnectionMmapBytes().Any(b => b != 0) || ProcessMappings.Of(path).Count > 0))
                {
                    violations.Enqueue("mapped during a shrinking step");
                }
            }
        });

        await Wait.UntilAsync(() => Volatile.Read(ref pushes) > 0 || pusher.IsCompleted, TimeSpan.FromSeconds(60), "the first limit push");

        // Up to five windows, until pushes have landed inside one (each window is short on a fast machine).
        var results = new List<MaintenanceResult>();
        for (var i = 0; i < 5 && (i == 0 || Volatile.Read(ref pushesInWindow) == 0); i++)
        {
            results.Add(await pass.RunAsync("test", MaintenanceDeadline.After(TimeProvider.System, TimeSpan.FromMinutes(5)), CancellationToken.None));
        }

        var result = results[0];
        await stop.CancelAsync();
        await Task.WhenAll(pusher, reader);

        Assert.All(results, r => Assert.True(r.Completed && r.Vacuumed, r.Summary));
        Assert.Equal(5000, result.MessagesDeleted);
        Assert.True(pushes > 0, $"no governor push completed; pass: {result.Summary}; pusher: {pusher.Status}");
        Assert.True(pushesInWindow > 0, $"no governor push landed during the window ({pushes} in all)");
        Assert.Empty(violations);
        Assert.Equal(MmapBytes, store.Database.Connections.MmapSizeBytes);
        Assert.False(attachment.HoldsMmapAtZero);
        Assert.Empty(store.LostAcknowledged());
    }
}
