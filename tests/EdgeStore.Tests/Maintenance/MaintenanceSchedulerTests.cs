using System.Globalization;
using EdgeStore.Maintenance;
using EdgeStore.RemoteTuning;
using EdgeStore.Safety;
using EdgeStore.Storage.Maintenance;
using Microsoft.Extensions.Logging.Abstractions;
using EdgeStore.Testing;

namespace EdgeStore.Tests.Maintenance;

public sealed class MaintenanceSchedulerTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("edgestore-sched-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task A_window_opening_runs_one_pass_and_on_demand_runs_work_too()
    {
        var path = Path.Combine(_directory, "edgestore.db");
        await using var store = await StoreUnderLoad.StartAsync(path, 32L << 20);
        var now = DateTimeOffset.UtcNow;
        await store.WriteAsync(1500, now - TimeSpan.FromDays(10), 128, CancellationToken.None, old: true);
        await store.WriteAsync(500, now, 128, CancellationToken.None);
        await store.WaitAcknowledgedAsync(TimeSpan.FromMinutes(1));

        // A window that opens three seconds from now (UTC), for one minute, today only.
        var opensAt = (now + TimeSpan.FromSeconds(3)).UtcDateTime;
        var start = TimeOnly.FromDateTime(opensAt);
        Assert.True(MaintenanceDays.TryParse(opensAt.DayOfWeek.ToString(), out var today, out _));
        var options = new MaintenanceOptions
        {
            Windows = [new MaintenanceWindow(new TimeOnly(start.Hour, start.Minute, start.Second), TimeSpan.FromMinutes(1), today)],
            TimeZone = TimeZoneInfo.Utc,
            MessagesRetentionDays = 7,
        };
        var attachment = new MaintenanceAttachment(MmapRestoreLimit.Fixed(32L << 20), TimeProvider.System, NullLoggerFactory.Instance);
        using var scheduler = new MaintenanceScheduler(attachment, options, new StatvfsDiskSpaceProbe(), TimeProvider.System, NullLoggerFactory.Instance);
        await scheduler.StartAsync(CancellationToken.None);
        attachment.Attach(store.MaintenanceView());

        var result = await Wait.ForAsync(() => scheduler.LastResult, r => r is not null, TimeSpan.FromSeconds(60), "the window's pass");
        Assert.NotNull(result);
        Assert.Equal("window", result.Trigger);
        Assert.True(result.Completed, result.Summary);
        Assert.Equal(1500, result.MessagesDeleted);
        Assert.True(result.StartedAt >= now + TimeSpan.FromSeconds(2), result.StartedAt.ToString("O", CultureInfo.InvariantCulture));

        // The same opening does not run twice.
        await Task.Delay(TimeSpan.FromSeconds(2));
        Assert.Same(result, scheduler.LastResult);

        var onDemand = await scheduler.RunNowAsync(CancellationToken.None);
        Assert.Equal("on-demand", onDemand.Trigger);
        Assert.True(onDemand.Completed, onDemand.Summary);
        Assert.Equal(0, onDemand.MessagesDeleted);
        Assert.Same(onDemand, scheduler.LastResult);
        await scheduler.StopAsync(CancellationToken.None);
        Assert.Empty(store.LostAcknowledged());
    }

    [Fact]
    public async Task Wal_guard_checkpoints_passive_or_restart_over_the_limit_raises_the_alarm_and_never_truncates()
    {
        var path = Path.Combine(_directory, "edgestore.db");
        await using var store = await StoreUnderLoad.StartAsync(path, 32L << 20);

        // A reader holding an old snapshot keeps checkpoints from resetting the WAL, so it grows past 1 MiB.
        var holder = store.Database.Connections.OpenReader();
        await using (holder)
        {
            using var begin = holder.CreateCommand();
            begin.CommandText = "BEGIN; SELECT count(*) FROM messages;";
            begin.ExecuteScalar();
            await store.WriteAsync(3000, DateTimeOffset.UtcNow, 1024, CancellationToken.None);
            await store.WaitAcknowledgedAsync(TimeSpan.FromMinutes(1));
            var walBefore = new FileInfo(path + "-wal").Length;
            Assert.True(walBefore > 1L << 20, $"WAL is {walBefore} bytes");

            var alarms = new MaintenanceAlarms();
            var attachment = new MaintenanceAttachment(MmapRestoreLimit.Fixed(32L << 20), TimeProvider.System, NullLoggerFactory.Instance);
            attachment.Attach(store.MaintenanceView());
            using var guard = new WalGuard(attachment, new MaintenanceOptions { WalHardLimitBytes = 1L << 20 }, alarms, TimeProvider.System, NullLogger<WalGuard>.Instance);
            var outcome = await guard.CheckOnceAsync(CancellationToken.None);
            Assert.NotNull(outcome);
            Assert.True(alarms.WalOverLimit);
            Assert.Equal(1, alarms.WalOverLimitEvents);
            Assert.True(outcome.Value.LogFrames > 0);
            Assert.True(alarms.CheckpointLagFrames > 0, "the open reader snapshot keeps frames un-checkpointed");
            Assert.True(new FileInfo(path + "-wal").Length >= walBefore, "PASSIVE/RESTART never shrink the WAL");

            using var end = holder.CreateCommand();
            end.CommandText = "COMMIT";
            end.ExecuteNonQuery();
        }

        Assert.Empty(store.LostAcknowledged());
    }

    [Fact]
    public async Task Remote_tuning_reconfigures_windows_and_retention_of_the_running_scheduler()
    {
        var path = Path.Combine(_directory, "tuned.db");
        await using var store = await StoreUnderLoad.StartAsync(path, 32L << 20);
        var now = DateTimeOffset.UtcNow;
        await store.WriteAsync(1200, now - TimeSpan.FromDays(10), 128, CancellationToken.None, old: true);
        await store.WriteAsync(300, now, 128, CancellationToken.None);
        await store.WaitAcknowledgedAsync(TimeSpan.FromMinutes(1));

        // Started with a window twelve hours away and retention that keeps everything: nothing would run now.
        var far = TimeOnly.FromDateTime((now + TimeSpan.FromHours(12)).UtcDateTime);
        var options = new MaintenanceOptions
        {
            Windows = [new MaintenanceWindow(new TimeOnly(far.Hour, 0), TimeSpan.FromMinutes(30), MaintenanceDays.Every)],
            TimeZone = TimeZoneInfo.Utc,
            MessagesRetentionDays = 0,
        };
        var attachment = new MaintenanceAttachment(MmapRestoreLimit.Fixed(32L << 20), TimeProvider.System, NullLoggerFactory.Instance);
        using var scheduler = new MaintenanceScheduler(attachment, options, new StatvfsDiskSpaceProbe(), TimeProvider.System, NullLoggerFactory.Instance);
        await scheduler.StartAsync(CancellationToken.None);
        attachment.Attach(store.MaintenanceView());

        // The remote document: a window open now (this minute, for ten minutes) and seven days of retention.
        var start = now.UtcDateTime;
        var previous = new TunedValues { MaintenanceWindows = [new MaintenanceWindowValue($"{far.Hour:00}:00", "30m", "Mon-Sun")], MessagesRetentionDays = 0 };
        var next = previous with { MaintenanceWindows = [new MaintenanceWindowValue($"{start.Hour:00}:{start.Minute:00}", "10m", "Mon-Sun")], MessagesRetentionDays = 7 };
        await new MaintenanceTuningTarget(scheduler).ApplyAsync(previous, next, CancellationToken.None);

        Assert.Equal(7, scheduler.Options.MessagesRetentionDays);
        Assert.Equal(new TimeOnly(start.Hour, start.Minute), Assert.Single(scheduler.Schedule.Windows).Start);

        // The loop looks at the schedule at least once a minute: the open window runs with the new retention.
        var result = await Wait.ForAsync(() => scheduler.LastResult, r => r is not null, TimeSpan.FromSeconds(120), "the tuned window's pass");
        Assert.NotNull(result);
        Assert.Equal("window", result.Trigger);
        Assert.Equal(1200, result.MessagesDeleted);
        await scheduler.StopAsync(CancellationToken.None);
    }
}
