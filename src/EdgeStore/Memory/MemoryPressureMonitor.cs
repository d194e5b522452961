using EdgeStore.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeStore.Memory;

/// <summary>
/// Polls every memory source this host has (docs/ARCHITECTURE.md, C2) at Memory:PollIntervalMs, classifies the pressure and
/// applies hysteresis; raises <see cref="LevelChanged"/> on every change of the level in force. Polling
/// rather than PSI triggers: PSI may be off (psi=0) and triggers need CAP_SYS_RESOURCE for windows under 2 s.
/// A failing poll is logged and the loop carries on: the monitor must never take the daemon down.
/// </summary>
internal sealed partial class MemoryPressureMonitor : BackgroundService
{
    private readonly MemorySettings _settings;
    private readonly MemorySampler _sampler;
    private readonly PressureClassifier _classifier;
    private readonly PressureHysteresis _hysteresis;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<MemoryPressureMonitor> _logger;
    private MemorySample? _previous;
    private string? _sourcesLogged;
    private long _levelChanges;
    private int _level;
    private MemoryPressureReading? _latest;

    public MemoryPressureMonitor(
        IOptions<MemorySettings> settings,
        MemorySampler sampler,
        TimeProvider timeProvider,
        ILogger<MemoryPressureMonitor> logger)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _settings = settings.Value;
        _sampler = sampler;
        _classifier = new PressureClassifier(_settings);
        _hysteresis = new PressureHysteresis(_settings.StepDownHold);
        _timeProvider = timeProvider;
        _logger = logger;
    }

    /// <summary>Raised on the poll loop for each change of the level in force; handlers must not block.</summary>
    public event Action<MemoryPressureChange>? LevelChanged;

    public MemoryPressureLevel Level => (MemoryPressureLevel)Volatile.Read(ref _level);

    public long LevelChanges => Interlocked.Read(ref _levelChanges);

    /// <summary>The latest sample and what it indicated before hysteresis (null before the first poll).</summary>
    public MemoryPressureReading? Latest => Volatile.Read(ref _latest);

    /// <summary>One poll: sample, classify, apply hysteresis, announce a change. The loop calls it; tests call it directly.</summary>
    public MemoryPressureChange? Poll()
    {
        var sample = _sampler.Take();
        var assessment = _classifier.Classify(_previous, sample);
        _previous = sample;
        Volatile.Write(ref _latest, new MemoryPressureReading(sample, assessment));

        var sources = sample.DescribeSources();
        if (sources != _sourcesLogged)
        {
            _sourcesLogged = sources;
            LogSources(_logger, sources);
        }

        var before = Level;
        var after = _hysteresis.Update(assessment.Level, sample.TakenAt);
        if (after == before)
        {
            return null;
        }

        Volatile.Write(ref _level, (int)after);
        Interlocked.Increment(ref _levelChanges);
        var reason = after > before ? assessment.Reason : $"below {before} for {_settings.StepDownHoldSeconds} s ({assessment.Reason})";
        var change = new MemoryPressureChange(before, after, reason, sample.TakenAt);
        if (after > before)
        {
            LogRose(_logger, before, after, reason);
        }
        else
        {
            LogFell(_logger, before, after, reason);
        }

        LevelChanged?.Invoke(change);
        return change;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(_settings.PollInterval, _timeProvider);
        do
        {
            try
            {
                Poll();
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogPollFailed(_logger, ex);
            }
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken ct)
    {
        try
        {
            return await timer.WaitForNextTickAsync(ct);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [LoggerMessage(EventId = 4110, Level = LogLevel.Information, Message = "Memory pressure sources: {Sources}")]
    private static partial void LogSources(ILogger logger, string sources);

    [LoggerMessage(EventId = 4111, Level = LogLevel.Warning, Message = "Memory pressure rose from {Previous} to {Current}: {Reason}")]
    private static partial void LogRose(ILogger logger, MemoryPressureLevel previous, MemoryPressureLevel current, string reason);

    [LoggerMessage(EventId = 4112, Level = LogLevel.Information, Message = "Memory pressure fell from {Previous} to {Current}: {Reason}")]
    private static partial void LogFell(ILogger logger, MemoryPressureLevel previous, MemoryPressureLevel current, string reason);

    [LoggerMessage(EventId = 4113, Level = LogLevel.Error, Message = "Memory pressure poll failed; the previous level stays in force")]
    private static partial void LogPollFailed(ILogger logger, Exception exception);
}

/// <summary>A change of the level in force (after hysteresis), with the signal that decided the new level.</summary>
internal sealed record MemoryPressureChange(MemoryPressureLevel Previous, MemoryPressureLevel Current, string Reason, DateTimeOffset At);

/// <summary>The latest poll: what was read and what it indicated before hysteresis (for status and metrics).</summary>
internal sealed record MemoryPressureReading(MemorySample Sample, PressureAssessment Assessment);
