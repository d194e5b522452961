using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using EdgeStore.Configuration;
using EdgeStore.Maintenance;
using EdgeStore.Mqtt;
using EdgeStore.Status;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EdgeStore.RemoteTuning;

/// <summary>
/// Runs remote tuning over the control connection, in one loop so the tuner is never entered twice:
/// announces `state` = online and the retained `config/reported` on every connect; takes desired documents (the newest
/// supersedes any still waiting for the rate limit) and acknowledges each only once it is dealt with; runs
/// `cmd/maintenance` one at a time through the maintenance scheduler (under the same mmap-0 protocol as a window; "unavailable"
/// without maintenance); and about once a second gives the tuner EdgeStore's health for probation and rollback.
/// </summary>
internal sealed partial class RemoteTuningService : BackgroundService
{
    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MinimumStall = TimeSpan.FromSeconds(5);

    private readonly ControlConnection _control;
    private readonly RemoteTuner _tuner;
    private readonly EdgeStoreSettings _settings;
    private readonly DaemonStatus _status;
    private readonly MaintenanceScheduler? _maintenance;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<RemoteTuningService> _logger;
    private readonly DocumentRateLimit _rateLimit;
    // Never awaited when full: the control connection's receive loop must keep reading, because this service's own QoS 1
    // publishes wait for PUBACKs that only that loop reads. The broker should keep at most the receive maximum (16)
    // unacknowledged messages in flight, yet CI saw more than 64 arrive under a flood; then a command is acknowledged
    // and dropped with a warning. Desired documents never depend on room here: see _arrivedDesired. A null item only
    // wakes the loop for a desired document.
    private readonly Channel<MqttApplicationMessage?> _inbound = Channel.CreateBounded<MqttApplicationMessage?>(new BoundedChannelOptions(64)
    {
        FullMode = BoundedChannelFullMode.Wait,
        SingleReader = true,
    });

    // The newest desired document not yet taken by the loop. Set by the receive loop, which acknowledges the one it
    // replaces: only the newest desired state matters, and the newest must never be dropped for want of queue room
    // (it need not be retained, so nothing would bring it back).
    private MqttApplicationMessage? _arrivedDesired;
    private long _superseded;

    private int _announce;
    private MqttApplicationMessage? _pendingDesired;
    private Task _maintenanceRun = Task.CompletedTask;
    private long _lastStored = -1;
    private long _lastProgressAt;

    public RemoteTuningService(
        ControlConnection control,
        RemoteTuner tuner,
        EdgeStoreSettings settings,
        DaemonStatus status,
        TimeProvider timeProvider,
        ILogger<RemoteTuningService> logger,
        MaintenanceScheduler? maintenance = null)
    {
        _control = control;
        _tuner = tuner;
        _settings = settings;
        _status = status;
        _maintenance = maintenance;
        _timeProvider = timeProvider;
        _logger = logger;
        _rateLimit = new DocumentRateLimit(settings.RemoteTuning.RateBurst, TimeSpan.FromMilliseconds(settings.RemoteTuning.RateIntervalMs), timeProvider);
        _lastProgressAt = timeProvider.GetTimestamp();
    }

    /// <summary>Desired documents replaced by a newer one before they were processed (rate limit).</summary>
    public long Superseded => Interlocked.Read(ref _superseded);

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        await _maintenanceRun.WaitAsync(cancellationToken).ContinueWith(_ => { }, TaskScheduler.Default);
        await _control.StopAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _control.MessageReceived = (message, _) =>
        {
            if (string.Equals(message.Topic, _control.Topics.Desired, StringComparison.Ordinal))
            {
                if (Interlocked.Exchange(ref _arrivedDesired, message) is { } older)
                {
                    Supersede(older);
                }

                // A full queue already guarantees the loop another pass, which takes _arrivedDesired.
                _inbound.Writer.TryWrite(null);
            }
            else if (!_inbound.Writer.TryWrite(message))
            {
                _control.Acknowledge(message);
                LogDropped(_logger, message.Topic);
            }

            return ValueTask.CompletedTask;
        };
        _control.Connected += () => Volatile.Write(ref _announce, 1);
        await _control.StartAsync(stoppingToken);
        LogStarted(_logger, _control.Topics.Prefix, _settings.RemoteTuning.Enabled);

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunOnceAsync(stoppingToken);
                await WaitForWorkAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                // Remote tuning must never take the daemon down: log, pause a moment, carry on.
                LogLoopFailed(_logger, e);
                await Task.Delay(Tick, _timeProvider, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    private async Task RunOnceAsync(CancellationToken ct)
    {
        if (Interlocked.Exchange(ref _announce, 0) == 1)
        {
            var online = await _control.TryPublishAsync(_control.Topics.State, Encoding.UTF8.GetBytes(ControlConnection.Online), MqttQualityOfService.AtLeastOnce, retain: true, ct);
            var reported = await PublishReportAsync(_tuner.CurrentReport(), ct);
            if (!online || !reported)
            {
                Volatile.Write(ref _announce, 1);
            }
        }

        while (_inbound.Reader.TryRead(out var message))
        {
            if (message is null)
            {
                // Only a wake-up: the desired document itself is taken from _arrivedDesired below.
            }
            else if (string.Equals(message.Topic, _control.Topics.MaintenanceCommand, StringComparison.Ordinal))
            {
                await HandleMaintenanceCommandAsync(message, ct);
            }
            else
            {
                _control.Acknowledge(message);
            }
        }

        if (Interlocked.Exchange(ref _arrivedDesired, null) is { } arrived)
        {
            if (_pendingDesired is { } older)
            {
                Supersede(older);
            }

            _pendingDesired = arrived;
        }

        if (_pendingDesired is { } desired && _rateLimit.TryTake())
        {
            _pendingDesired = null;
            var report = await _tuner.HandleDesiredAsync(desired.Payload, ct);
            if (report is not null)
            {
                await PublishReportAsync(report, ct);
            }

            _control.Acknowledge(desired);
        }

        var (healthy, reason) = Health();
        var rolledBack = await _tuner.WatchAsync(healthy, reason, ct);
        if (rolledBack is not null)
        {
            await PublishReportAsync(rolledBack, ct);
        }
    }

    private async Task WaitForWorkAsync(CancellationToken ct)
    {
        using var tick = new CancellationTokenSource(Tick, _timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, tick.Token);
        try
        {
            await _inbound.Reader.WaitToReadAsync(linked.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            // The tick: time to look at health and at a rate-limited document again.
        }
    }

    private void Supersede(MqttApplicationMessage older)
    {
        _control.Acknowledge(older);
        LogSuperseded(_logger, Interlocked.Increment(ref _superseded));
    }

    /// <summary>Unhealthy: no broker, or messages waiting and no commit for longer than batching explains.</summary>
    private (bool Healthy, string Reason) Health()
    {
        var now = _timeProvider.GetTimestamp();
        var stored = _status.RowsStored + _status.Quarantined;
        var backlog = _status.Backlog;
        if (stored != _lastStored || backlog == 0)
        {
            _lastStored = stored;
            _lastProgressAt = now;
        }

        if (!_status.BrokerConnected)
        {
            return (false, "the broker was unreachable");
        }

        var stallAfter = TimeSpan.FromTicks(Math.Max(MinimumStall.Ticks, 2 * _tuner.Effective.MaxBatchLatency.Ticks));
        return _timeProvider.GetElapsedTime(_lastProgressAt, now) > stallAfter
            ? (false, $"nothing was committed while {backlog} messages waited")
            : (true, string.Empty);
    }

    private async Task<bool> PublishReportAsync(ReportedDocument report, CancellationToken ct) =>
        await _control.TryPublishAsync(_control.Topics.Reported, report.ToUtf8(), MqttQualityOfService.AtLeastOnce, retain: true, ct);

    private async Task HandleMaintenanceCommandAsync(MqttApplicationMessage message, CancellationToken ct)
    {
        var id = RequestId(message.Payload);
        _control.Acknowledge(message);
        if (_maintenance is null)
        {
            await ReplyAsync(id, new JsonObject { ["status"] = "unavailable", ["reason"] = "maintenance is not part of this daemon" }, ct);
            return;
        }

        if (!_maintenanceRun.IsCompleted)
        {
            await ReplyAsync(id, new JsonObject { ["status"] = "busy", ["reason"] = "a maintenance pass requested earlier is still running" }, ct);
            return;
        }

        LogMaintenanceRequested(_logger, id ?? "(none)");
        _maintenanceRun = Task.Run(
            async () =>
            {
                JsonObject reply;
                try
                {
                    reply = new JsonObject { ["status"] = "completed", ["result"] = MaintenanceResultJson.From(await _maintenance.RunNowAsync(ct)) };
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    reply = new JsonObject { ["status"] = "failed", ["reason"] = e.Message };
                }

                await ReplyAsync(id, reply, CancellationToken.None);
            },
            CancellationToken.None);
    }

    private async Task ReplyAsync(string? id, JsonObject reply, CancellationToken ct)
    {
        if (id is not null)
        {
            reply["id"] = id;
        }

        await _control.TryPublishAsync(_control.Topics.MaintenanceResult, ControlJson.ToUtf8(reply), MqttQualityOfService.AtLeastOnce, retain: false, ct);
    }

    /// <summary>An optional correlation id from `{"id": "..."}` (at most 64 characters), echoed in the result.</summary>
    private static string? RequestId(ReadOnlyMemory<byte> payload)
    {
        if (payload.Length is 0 or > 4096)
        {
            return null;
        }

        try
        {
            using var document = JsonDocument.Parse(payload, new JsonDocumentOptions { MaxDepth = 4 });
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("id", out var id)
                && id.ValueKind == JsonValueKind.String
                && id.GetString() is { Length: <= 64 } text
                ? text
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    [LoggerMessage(EventId = 6201, Level = LogLevel.Information, Message = "Remote tuning under {Prefix}: {Mode}")]
    private static partial void LogStartedText(ILogger logger, string prefix, string mode);

    private static void LogStarted(ILogger logger, string prefix, bool enabled) =>
        LogStartedText(logger, prefix, enabled ? "accepting desired settings and commands" : "reporting only (RemoteTuning:Enabled is false: desired settings and commands are ignored)");

    [LoggerMessage(EventId = 6202, Level = LogLevel.Warning, Message = "A desired document was superseded by a newer one before the rate limit let it through ({Superseded} since start)")]
    private static partial void LogSuperseded(ILogger logger, long superseded);

    [LoggerMessage(EventId = 6203, Level = LogLevel.Error, Message = "Remote tuning loop failed; continuing")]
    private static partial void LogLoopFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 6205, Level = LogLevel.Warning, Message = "Control message on {Topic} dropped: the broker sent more than the receive maximum allows and the queue is full")]
    private static partial void LogDropped(ILogger logger, string topic);

    [LoggerMessage(EventId = 6204, Level = LogLevel.Information, Message = "Maintenance requested over MQTT (id {Id})")]
    private static partial void LogMaintenanceRequested(ILogger logger, string id);
}
