using System.Text.Json;
using EdgeStore.Maintenance;
using EdgeStore.Safety;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace EdgeStore.Tests.Safety;

public sealed class StorageSafeModeTests : IDisposable
{
    private readonly string _stateDirectory = Directory.CreateTempSubdirectory("edgestore-safemode-").FullName;

    public void Dispose() => Directory.Delete(_stateDirectory, recursive: true);

    private static MaintenanceOptions Options => new()
    {
        SafeModeUncleanExits = 3,
        SafeModePeriod = TimeSpan.FromHours(1),
        SafeModeCalmPeriod = TimeSpan.FromHours(24),
    };

    private StorageSafeMode Start(FakeTimeProvider clock) =>
        StorageSafeMode.Start(_stateDirectory, Options, clock, NullLogger.Instance);

    [Fact]
    public void Clean_exits_never_count()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-22T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        for (var i = 0; i < 5; i++)
        {
            var run = Start(clock);
            Assert.False(run.UncleanExitDetected);
            Assert.False(run.IsActive);
            Assert.True(File.Exists(RunMarker.PathIn(_stateDirectory)));
            run.MarkCleanExit();
            Assert.False(File.Exists(RunMarker.PathIn(_stateDirectory)));
            clock.Advance(TimeSpan.FromMinutes(1));
        }

        Assert.False(File.Exists(UncleanExitLog.PathIn(_stateDirectory)));
    }

    [Fact]
    public void Repeated_unclean_exits_within_the_period_start_safe_mode_until_the_calm_period_passes()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-22T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var first = Start(clock); // marker written; this run "dies" without MarkCleanExit
        Assert.False(first.UncleanExitDetected);

        clock.Advance(TimeSpan.FromMinutes(5));
        var second = Start(clock);
        Assert.True(second.UncleanExitDetected);
        Assert.False(second.IsActive);
        Assert.Equal(256, second.CapMmap(256));

        clock.Advance(TimeSpan.FromMinutes(5));
        Assert.False(Start(clock).IsActive);

        clock.Advance(TimeSpan.FromMinutes(5));
        var fourth = Start(clock);
        Assert.True(fourth.IsActive);
        Assert.Equal(3, fourth.RecentUncleanExits);
        Assert.Equal(0, fourth.CapMmap(256L << 20));

        // The file is plain JSON an operator can read.
        using var json = JsonDocument.Parse(File.ReadAllText(UncleanExitLog.PathIn(_stateDirectory)));
        Assert.Equal(3, json.RootElement.GetProperty("uncleanExits").GetArrayLength());
        Assert.Equal(JsonValueKind.String, json.RootElement.GetProperty("safeModeSince").ValueKind);

        // A clean start later still in safe mode (the exits are recent) ...
        fourth.MarkCleanExit();
        clock.Advance(TimeSpan.FromHours(2));
        var fifth = Start(clock);
        Assert.False(fifth.UncleanExitDetected);
        Assert.True(fifth.IsActive);

        // ... until 24 h pass without an unclean exit: checked live, too.
        clock.Advance(TimeSpan.FromHours(22));
        Assert.False(fifth.IsActive);
        fifth.MarkCleanExit();
        Assert.False(Start(clock).IsActive);
    }

    [Fact]
    public void Unclean_exits_spread_wider_than_the_period_do_not_start_safe_mode()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-22T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        Start(clock);
        for (var i = 0; i < 4; i++)
        {
            clock.Advance(TimeSpan.FromMinutes(40));
            Assert.False(Start(clock).IsActive);
        }
    }

    [Fact]
    public void Operator_clear_ends_safe_mode_at_the_next_start()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-22T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        StorageSafeMode run = Start(clock);
        for (var i = 0; i < 3; i++)
        {
            clock.Advance(TimeSpan.FromMinutes(1));
            run = Start(clock);
        }

        Assert.True(run.IsActive);
        Assert.True(StorageSafeMode.Clear(_stateDirectory));
        run.MarkCleanExit();
        Assert.False(Start(clock).IsActive);
        Assert.False(StorageSafeMode.Clear(_stateDirectory));
    }

    [Fact]
    public void A_corrupt_log_is_replaced_not_fatal()
    {
        File.WriteAllText(UncleanExitLog.PathIn(_stateDirectory), "{ not json");
        var clock = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-22T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var run = Start(clock);
        Assert.False(run.IsActive);
        using var json = JsonDocument.Parse(File.ReadAllText(UncleanExitLog.PathIn(_stateDirectory)));
        Assert.Equal(0, json.RootElement.GetProperty("uncleanExits").GetArrayLength());
    }
}
