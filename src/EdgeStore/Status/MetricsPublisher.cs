using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using EdgeStore.Configuration;
using EdgeStore.Maintenance;
using EdgeStore.Memory;
using EdgeStore.Mqtt;
using EdgeStore.RemoteTuning;
using EdgeStore.Safety;
using EdgeStore.Uplink;
using Microsoft.Extensions.Hosting;

namespace EdgeStore.Status;

/// <summary>
/// Publishes `edgestore/&lt;node&gt;/metrics` every `Metrics:IntervalSeconds` (tunable live) on the control connection:
/// rates and counts from <see cref="DaemonStatus"/>, file sizes of the database and its WAL, the checkpoint lag the WAL
/// guard last measured (as in status.json), bytes written since start from /proc/self/io, the tuning version in force,
/// and, when those capabilities are part of the daemon (null otherwise), the memory pressure level and the last maintenance
/// result, and the uplink (backlog, age of the oldest unforwarded row, forwarded per second, connection, last error). QoS 0 and not retained: a missed sample is replaced by the next.
/// </summary>
internal sealed class MetricsPublisher(
    ControlConnection control,
    RemoteTuner tuner,
    EdgeStoreSettings settings,
    DaemonStatus status,
    TimeProvider timeProvider,
    MemoryPressureMonitor? monitor = null,
    MaintenanceScheduler? scheduler = null,
    MaintenanceAlarms? alarms = null,
    UplinkState? uplink = null) : BackgroundService
{
    private readonly long? _writeBytesAtStart = ProcessIo.ReadWriteBytes();
    private readonly long _startedAt = timeProvider.GetTimestamp();
    private long _lastRows;
    private long _lastSampleAt;

    /// <summary>The metrics document as published now; exposed for tests and `edgestore status`-style readers.</summary>
    public JsonObject Sample()
    {
        var now = timeProvider.GetTimestamp();
        var rows = status.RowsStored;
        var seconds = _lastSampleAt == 0 ? timeProvider.GetElapsedTime(_startedAt, now).TotalSeconds : timeProvider.GetElapsedTime(_lastSampleAt, now).TotalSeconds;
        var rate = seconds > 0 ? (rows - _lastRows) / seconds : 0;
        _lastRows = rows;
        _lastSampleAt = now;

        var database = settings.Storage.Path!;
        var walBytes = FileLength(database + "-wal");
        var writeBytes = ProcessIo.ReadWriteBytes();
        var metrics = new JsonObject
        {
            ["timestamp"] = ControlJson.Time(timeProvider.GetUtcNow()),
            ["phase"] = status.Phase,
            ["brokerConnected"] = status.BrokerConnected,
            ["uptimeSeconds"] = (long)timeProvider.GetElapsedTime(_startedAt, now).TotalSeconds,
            ["rowsPerSecond"] = Math.Round(rate, 1),
            ["rowsStored"] = rows,
            ["backlog"] = status.Backlog,
            ["acknowledged"] = status.Acknowledged,
            ["pending"] = status.Backlog,
            ["quarantined"] = status.Quarantined,
            ["oversizeQuarantined"] = status.OversizeQuarantined,
            ["redeliveries"] = status.Redeliveries,
            ["subscriptionsRefused"] = status.SubscriptionsRefused,
            ["refusedSubscriptions"] = new JsonArray([.. status.RefusedSubscriptions.Select(f => JsonValue.Create(f))]),
            ["brokerLossWarnings"] = status.BrokerLossWarnings,
            ["mmapLimitBytes"] = status.MmapLimitBytes,
            ["pressureLevel"] = monitor?.Level.ToString(),
            ["walBytes"] = walBytes,
            ["checkpointLagFrames"] = alarms?.CheckpointLagFrames,
            ["databaseBytes"] = FileLength(database),
            ["bytesWrittenSinceStart"] = writeBytes is { } w && _writeBytesAtStart is { } s ? w - s : null,
            ["lastMaintenance"] = scheduler?.LastResult is { } result ? MaintenanceResultJson.From(result) : null,
            ["safeMode"] = status.SafeMode,
            ["tuningVersion"] = tuner.State.AppliedVersion,
            ["uplink"] = uplink?.ToJson(timeProvider.GetUtcNow()),
        };
        return metrics;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var lastPublished = timeProvider.GetTimestamp();
        try
        {
            // A one-second tick, so a tuned interval applies at once rather than after the old interval.
            using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), timeProvider);
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                var interval = TimeSpan.FromSeconds(tuner.Effective.MetricsIntervalSeconds);
                if (timeProvider.GetElapsedTime(lastPublished) < interval)
                {
                    continue;
                }

                lastPublished = timeProvider.GetTimestamp();
                var payload = ControlJson.ToUtf8(Sample());
                await control.TryPublishAsync(control.Topics.Metrics, payload, MqttQualityOfService.AtMostOnce, retain: false, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private static long? FileLength(string path)
    {
        try
        {
            var info = new FileInfo(path);
            return info.Exists ? info.Length : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
