using EdgeStore.Mqtt;
using Microsoft.Extensions.Logging;

namespace EdgeStore.Simulation;

/// <summary>
/// Publishes simulated telemetry round-robin across devices. QoS 1 publishes are pipelined: up to
/// <see cref="SimulationPlan.MaxInFlight"/> are outstanding at once (a semaphore bounds them), because awaiting each
/// PUBACK before the next publish would measure the round trip, not the broker. A fixed rate is kept against the
/// schedule "message i is due at i / rate seconds", so the long-run rate is exact whatever the timer resolution.
/// A publish that fails because the connection dropped is retried after the client reconnects; the daemon stores a
/// redelivered sequence number once, so a retry never duplicates a row.
/// </summary>
internal sealed partial class TelemetrySimulator
{
    private const int MaxAttempts = 10;
    private static readonly TimeSpan ReconnectWait = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan RetryBackoff = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(60);

    private readonly MqttClient _client;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private long _published;
    private long _failed;

    public TelemetrySimulator(MqttClient client, TimeProvider timeProvider, ILogger logger)
    {
        _client = client;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    public async Task<SimulationResult> RunAsync(SimulationPlan plan, CancellationToken cancellationToken)
    {
        var devices = Enumerable.Range(1, plan.Devices).Select(n => new SimulatedDevice(n, plan.TopicPrefix, seed: n)).ToArray();
        using var inFlight = new SemaphoreSlim(plan.MaxInFlight, plan.MaxInFlight);
        long malformed = 0;
        var started = _timeProvider.GetTimestamp();
        var secondsPerMessage = plan.MessagesPerSecond > 0 ? 1.0 / plan.MessagesPerSecond : 0;

        try
        {
            for (long i = 0; plan.Count is null || i < plan.Count; i++)
            {
                var elapsed = _timeProvider.GetElapsedTime(started);
                var due = TimeSpan.FromSeconds(i * secondsPerMessage);
                if (plan.Duration is { } duration && PastDuration(duration, elapsed, due, secondsPerMessage > 0))
                {
                    break;
                }

                if (due - elapsed >= TimeSpan.FromMilliseconds(1))
                {
                    await Task.Delay(due - elapsed, _timeProvider, cancellationToken);
                }

                await inFlight.WaitAsync(cancellationToken);
                var device = devices[i % devices.Length];
                var timestamp = _timeProvider.GetUtcNow().ToUnixTimeMilliseconds();
                byte[] payload;
                if (plan.MalformedEvery > 0 && (i + 1) % plan.MalformedEvery == 0)
                {
                    // Spread the broken messages over the devices even when the device count divides the interval.
                    device = devices[malformed % devices.Length];
                    payload = device.MalformedPayload();
                    malformed++;
                }
                else
                {
                    payload = device.NextPayload(timestamp);
                }

                _ = PublishAsync(device.Topic, payload, plan.Qos, inFlight, cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Interrupted (SIGINT/SIGTERM): report what was published so far.
        }

        // Wait for the outstanding publishes by taking every slot back.
        using var drain = new CancellationTokenSource(DrainTimeout, _timeProvider);
        try
        {
            for (var slot = 0; slot < plan.MaxInFlight; slot++)
            {
                await inFlight.WaitAsync(drain.Token);
            }
        }
        catch (OperationCanceledException)
        {
            LogDrainTimedOut(_logger, plan.MaxInFlight - inFlight.CurrentCount);
        }

        return new SimulationResult(Interlocked.Read(ref _published), malformed, Interlocked.Read(ref _failed), _timeProvider.GetElapsedTime(started));
    }

    /// <summary>
    /// At a fixed rate the run ends with the schedule (rate × duration messages, even when the publisher ran a little
    /// behind), but never later than twice the duration; as fast as possible it ends by the clock.
    /// </summary>
    private static bool PastDuration(TimeSpan duration, TimeSpan elapsed, TimeSpan due, bool fixedRate) =>
        fixedRate ? due >= duration || elapsed >= duration * 2 : elapsed >= duration;

    private async Task PublishAsync(string topic, byte[] payload, MqttQualityOfService qos, SemaphoreSlim inFlight, CancellationToken cancellationToken)
    {
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    await _client.PublishAsync(topic, payload, qos, retain: false, cancellationToken);
                    Interlocked.Increment(ref _published);
                    return;
                }
                catch (MqttException e) when (attempt < MaxAttempts && !cancellationToken.IsCancellationRequested)
                {
                    // The client may not have noticed the lost connection yet, so back off before waiting for the
                    // next one; otherwise every attempt could fail on the same dead connection within a millisecond.
                    LogRetrying(_logger, topic, attempt, e.Message);
                    await Task.Delay(RetryBackoff * attempt, _timeProvider, cancellationToken);
                    using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                    wait.CancelAfter(ReconnectWait);
                    await _client.WaitConnectedAsync(wait.Token);
                }
            }
        }
        catch (Exception e) when (e is MqttException or OperationCanceledException or IOException)
        {
            Interlocked.Increment(ref _failed);
            if (e is not OperationCanceledException)
            {
                LogFailed(_logger, topic, e.Message);
            }
        }
        finally
        {
            inFlight.Release();
        }
    }

    [LoggerMessage(EventId = 1101, Level = LogLevel.Debug, Message = "Publish to {Topic} failed (attempt {Attempt}): {Reason}; retrying once reconnected")]
    private static partial void LogRetrying(ILogger logger, string topic, int attempt, string reason);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Warning, Message = "Gave up publishing to {Topic}: {Reason}")]
    private static partial void LogFailed(ILogger logger, string topic, string reason);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Warning, Message = "{Outstanding} publishes still unacknowledged after the drain timeout")]
    private static partial void LogDrainTimedOut(ILogger logger, int outstanding);
}
