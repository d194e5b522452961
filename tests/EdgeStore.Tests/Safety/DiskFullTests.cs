using System.Diagnostics;
using EdgeStore.Maintenance;
using EdgeStore.Safety;
using EdgeStore.Testing;
using EdgeStore.Tests.EndToEnd;
using EdgeStore.Tests.Maintenance;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace EdgeStore.Tests.Safety;

/// <summary>
/// Disk full for real: the database on an 16 MiB tmpfs the test mounts (as root). Acks stop when space
/// runs low, nothing acknowledged is lost, and acks resume by themselves when space is freed. Without root it is
/// reported skipped with the reason; as root (CI) a failed mount fails the test.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class DiskFullTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _mountPoint = Directory.CreateTempSubdirectory("edgestore-diskfull-").FullName;
    private bool _mounted;

    public void Dispose()
    {
        if (_mounted)
        {
            Run("umount", _mountPoint, out _);
        }

        Directory.Delete(_mountPoint, recursive: true);
    }

    [MachineFact(root: true, "mount", "umount")]
    public async Task Full_filesystem_stops_acks_loses_nothing_and_resumes_when_space_returns()
    {
        Assert.True(Run("mount", $"-t tmpfs -o size=16m tmpfs {_mountPoint}", out var why) == 0, $"mounting a 16 MiB tmpfs failed: {why}");
        _mounted = true;
        var path = Path.Combine(_mountPoint, "edgestore.db");
        var options = new MaintenanceOptions { MinFreeBytes = 1L << 20, MinFreePercent = 0, DiskCheckInterval = TimeSpan.FromMilliseconds(100) };
        var alarms = new MaintenanceAlarms();
        using var guard = new DiskGuard(path, options, new StatvfsDiskSpaceProbe(), alarms, TimeProvider.System, NullLogger<DiskGuard>.Instance);
        await guard.StartAsync(CancellationToken.None);
        var store = await StoreUnderLoad.StartAsync(path, 0, guard, maxBatchRows: 100);
        try
        {
            await store.WriteAsync(200, DateTimeOffset.UtcNow, 256, CancellationToken.None);
            await store.WaitAcknowledgedAsync(TimeSpan.FromMinutes(1));

            // Leave about 2.5 MiB free with a filler file, then ingest more than fits (but what fits once the filler is gone:
            // the WAL alone may grow to 4 MiB before the autocheckpoint).
            var filler = Path.Combine(_mountPoint, "filler");
            var free = new DriveInfo(_mountPoint).AvailableFreeSpace;
            await File.WriteAllBytesAsync(filler, new byte[Math.Max(0, free - (5L << 19))]);
            using var stopProducer = new CancellationTokenSource();
            var producer = store.WriteAsync(6_000, DateTimeOffset.UtcNow, 512, stopProducer.Token);

            await Wait.UntilAsync(() => !guard.AcksAllowed, TimeSpan.FromSeconds(60), "acks stop when the filesystem runs low");
            Assert.True(alarms.DiskLow);

            // Acks stay stopped: the count does not move while the producer is held back.
            await Task.Delay(500);
            var ackedWhileFull = store.Acknowledged.Count;
            await Task.Delay(TimeSpan.FromSeconds(2));
            Assert.Equal(ackedWhileFull, store.Acknowledged.Count);
            Assert.True(ackedWhileFull < store.LastTag, "records are waiting unacknowledged");
            Assert.Empty(store.LostAcknowledged());
            output.WriteLine($"acks stopped at {ackedWhileFull} of {store.LastTag} queued; {new DriveInfo(_mountPoint).AvailableFreeSpace} bytes free");

            // Free space: everything queued is committed and acknowledged by itself.
            File.Delete(filler);
            await Task.WhenAny(producer, store.WriterTask, Task.Delay(TimeSpan.FromSeconds(90)));
            Assert.False(store.WriterTask.IsCompleted, $"the writer stopped: {store.WriterTask.Exception}");
            await producer.WaitAsync(TimeSpan.FromMinutes(2));
            await store.WaitAcknowledgedAsync(TimeSpan.FromMinutes(2));
            Assert.True(guard.AcksAllowed);
            Assert.False(alarms.DiskLow);
            Assert.Equal(6_200, store.Acknowledged.Count);
            await store.StopWriterAsync();
            Assert.Empty(store.LostAcknowledged());
            Assert.Equal(6_200, StoreUnderLoad.StoredTags(path).Count);
            Assert.Equal("ok", StoreUnderLoad.IntegrityCheck(path));
        }
        finally
        {
            File.Delete(Path.Combine(_mountPoint, "filler"));
            await store.DisposeAsync();
            await guard.StopAsync(CancellationToken.None);
        }
    }

    private static int Run(string file, string arguments, out string error)
    {
        var start = new ProcessStartInfo(file, arguments) { RedirectStandardError = true, RedirectStandardOutput = true };
        using var process = Process.Start(start)!;
        error = process.StandardError.ReadToEnd() + process.StandardOutput.ReadToEnd();
        process.WaitForExit(30_000);
        return process.ExitCode;
    }
}
