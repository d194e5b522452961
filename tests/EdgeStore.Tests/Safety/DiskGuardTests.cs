using EdgeStore.Maintenance;
using EdgeStore.Safety;
using EdgeStore.Tests.Maintenance;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeStore.Tests.Safety;

public sealed class DiskGuardTests
{
    private sealed class SettableProbe : IDiskSpaceProbe
    {
        public long Available { get; set; } = 1L << 30;

        public DiskSpace Measure(string path) => new(Available, 8L << 30);
    }

    private static DiskGuard Guard(SettableProbe probe, MaintenanceAlarms alarms, DiskFullPolicy policy = DiskFullPolicy.StopAcks) =>
        new("/tmp/x.db", new MaintenanceOptions { MinFreeBytes = 100L << 20, MinFreePercent = 0, DiskFullPolicy = policy }, probe, alarms, TimeProvider.System, NullLogger<DiskGuard>.Instance);

    [Fact]
    public async Task Low_space_closes_the_gate_and_it_reopens_with_hysteresis()
    {
        var probe = new SettableProbe();
        var alarms = new MaintenanceAlarms();
        using var guard = Guard(probe, alarms);
        guard.Check();
        Assert.True(guard.AcksAllowed);
        await guard.WaitUntilAllowedAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));

        probe.Available = 99L << 20;
        guard.Check();
        Assert.False(guard.AcksAllowed);
        Assert.True(alarms.DiskLow);
        Assert.Equal(1, alarms.DiskLowEvents);
        var waiting = guard.WaitUntilAllowedAsync(CancellationToken.None);
        Assert.False(waiting.IsCompleted);

        // Just above the threshold is not enough: it would flap.
        probe.Available = 110L << 20;
        guard.Check();
        Assert.False(guard.AcksAllowed);
        Assert.False(waiting.IsCompleted);

        probe.Available = 130L << 20;
        guard.Check();
        Assert.True(guard.AcksAllowed);
        Assert.False(alarms.DiskLow);
        await waiting.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public void Storage_full_closes_the_gate_until_space_is_measured_back()
    {
        var probe = new SettableProbe();
        var alarms = new MaintenanceAlarms();
        using var guard = Guard(probe, alarms);
        guard.ReportStorageFull();
        Assert.False(guard.AcksAllowed);
        Assert.Equal(1, alarms.StorageFullEvents);
        guard.Check();
        Assert.True(guard.AcksAllowed);
    }

    [Fact]
    public void Delete_oldest_policy_keeps_acks_until_half_the_threshold()
    {
        var probe = new SettableProbe { Available = 80L << 20 };
        var alarms = new MaintenanceAlarms();
        using var guard = Guard(probe, alarms, DiskFullPolicy.DeleteOldest);
        guard.Check();
        Assert.True(alarms.DiskLow);
        Assert.True(guard.AcksAllowed);
        probe.Available = 40L << 20;
        guard.Check();
        Assert.False(guard.AcksAllowed);
    }

    [Fact]
    public void Statvfs_probe_reads_the_filesystem_of_a_file_path()
    {
        var space = new StatvfsDiskSpaceProbe().Measure(Path.Combine(Path.GetTempPath(), "does-not-exist.db"));
        Assert.True(space.TotalBytes > 0);
        Assert.InRange(space.AvailableBytes, 1, space.TotalBytes);
        Assert.NotNull(space.MountPoint);
        Assert.StartsWith(space.MountPoint, Path.GetTempPath().TrimEnd('/') + "/", StringComparison.Ordinal);
        Assert.True(space.SameFilesystemAs(new StatvfsDiskSpaceProbe().Measure(Path.GetTempPath())));
        Assert.False(space.SameFilesystemAs(new StatvfsDiskSpaceProbe().Measure("/proc")));
    }

    [Fact]
    public async Task Delete_oldest_removes_the_oldest_rows_only_while_the_database_lacks_free_pages()
    {
        var directory = Directory.CreateTempSubdirectory("edgestore-oldest-").FullName;
        try
        {
            await using var store = await StoreUnderLoad.StartAsync(Path.Combine(directory, "edgestore.db"), 0);
            await store.WriteAsync(3000, DateTimeOffset.UtcNow, 256, CancellationToken.None);
            await store.WaitAcknowledgedAsync(TimeSpan.FromMinutes(1));
            var attachment = new MaintenanceAttachment(MmapRestoreLimit.Fixed(0), TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);
            Assert.Equal(0, await attachment.DeleteOldestAsync(1L << 40, 1000, CancellationToken.None)); // not attached: nothing
            attachment.Attach(store.MaintenanceView());

            Assert.Equal(1000, await attachment.DeleteOldestAsync(1L << 40, 1000, CancellationToken.None));
            var left = StoreUnderLoad.StoredTags(store.Path);
            Assert.Equal(2000, left.Count);
            Assert.Equal(1001, left.Min()); // the oldest went first

            // The freed pages are now enough for a small reserve: nothing more is deleted.
            Assert.Equal(0, await attachment.DeleteOldestAsync(4096, 1000, CancellationToken.None));
            Assert.Equal(2000, StoreUnderLoad.StoredTags(store.Path).Count);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
