using System.Text.Json.Nodes;
using EdgeStore.Configuration;
using Microsoft.Extensions.Logging;

namespace EdgeStore.RemoteTuning;

/// <summary>
/// The remote-tuning state machine, free of MQTT so it can be tested alone (docs/ARCHITECTURE.md, C4):
/// <list type="bullet">
/// <item>A desired document is checked as a whole; any error rejects it and nothing changes.</item>
/// <item>A version at or below the one in force is a redelivery or a stale retained message: ignored.</item>
/// <item>A valid document is merged into the overrides, resolved over the local baseline (mmap clamped to the cap),
/// applied to every live target, persisted atomically, and only then reported as applied. A target that refuses
/// undoes the change on the targets already changed and the document is rejected (`apply_failed`).</item>
/// <item>After a change, a probation period: if EdgeStore is unhealthy (no broker, or messages waiting and no
/// commits) for <see cref="RemoteTuningSettings.RollbackAfterSeconds"/> within it, the last confirmed document is
/// restored, persisted and reported as rolled_back; a change that stays healthy through probation is confirmed.</item>
/// </list>
/// Calls are made from one loop (not thread-safe by design).
/// </summary>
internal sealed partial class RemoteTuner
{
    private static readonly TimeSpan ApplyTimeout = TimeSpan.FromSeconds(30);
    private readonly TunedValues _baseline;
    private readonly TuningStateFile _file;
    private readonly IReadOnlyList<ILiveTuningTarget> _targets;
    private readonly Func<long> _mmapCapBytes;
    private readonly RemoteTuningSettings _settings;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<RemoteTuner> _logger;
    private TuningState _state = TuningState.Empty;
    private TuningResolution _resolution;
    private long? _probationStarted;
    private long? _unhealthySince;
    private ReportedDocument? _lastReport;

    public RemoteTuner(
        TunedValues baseline,
        TuningStateFile file,
        IEnumerable<ILiveTuningTarget> targets,
        Func<long> mmapCapBytes,
        RemoteTuningSettings settings,
        TimeProvider timeProvider,
        ILogger<RemoteTuner> logger)
    {
        _baseline = baseline;
        _file = file;
        _targets = targets.ToList();
        _mmapCapBytes = mmapCapBytes;
        _settings = settings;
        _timeProvider = timeProvider;
        _logger = logger;
        _resolution = TuningResolver.Resolve(baseline, new Dictionary<string, JsonNode>(), mmapCapBytes());
    }

    public TunedValues Effective => _resolution.Effective;

    public TuningState State => _state;

    public bool InProbation => _probationStarted is not null;

    /// <summary>
    /// Reads the persisted state and resolves it, before ingestion starts; the caller writes <see cref="Effective"/>
    /// into the settings the services start from. Overrides that no longer pass the table (an upgrade changed a bound)
    /// are dropped with a warning; a damaged file is set aside. An unconfirmed change gets a fresh probation.
    /// </summary>
    public TunedValues LoadAtStart()
    {
        TuningState state;
        try
        {
            state = _file.Read();
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            var aside = TrySetAside();
            LogStateUnreadable(_logger, _file.Path, e.Message, aside ?? "(could not be renamed)");
            state = TuningState.Empty;
        }

        var applied = state.Applied is null ? null : state.Applied with { Overrides = Revalidate(state.Applied.Overrides) };
        var lastGood = state.LastGood is null ? null : state.LastGood with { Overrides = Revalidate(state.LastGood.Overrides) };
        _state = state with { Applied = applied, LastGood = lastGood };
        _resolution = TuningResolver.Resolve(_baseline, applied?.Overrides ?? new Dictionary<string, JsonNode>(), _mmapCapBytes());
        if (applied is { Confirmed: false })
        {
            StartProbation();
        }

        if (applied is not null)
        {
            LogRestored(_logger, applied.Version, applied.Overrides.Count, _file.Path, applied.Confirmed);
        }

        return _resolution.Effective;
    }

    /// <summary>The report describing the state in force (published on every connect, retained).</summary>
    public ReportedDocument CurrentReport() => _lastReport ?? Report(
        _state.Applied?.Version ?? 0,
        _state.Status == TuningState.StatusNone ? TuningState.StatusApplied : _state.Status,
        [],
        _state.Reason);

    /// <summary>
    /// Handles one desired document. Returns the report to publish, or null when the document is a redelivery of
    /// the version in force (nothing to say).
    /// </summary>
    public async Task<ReportedDocument?> HandleDesiredAsync(ReadOnlyMemory<byte> payload, CancellationToken ct)
    {
        var check = DesiredDocumentValidator.Check(payload, _settings.MaxDocumentBytes);
        if (check.Version is { } version && version <= _state.HighestVersion)
        {
            if (version == _state.HighestVersion)
            {
                LogIgnoredRedelivery(_logger, version, _state.HighestVersion);
                return null;
            }

            LogIgnoredStale(_logger, version, _state.HighestVersion);
            return Remember(Report(version, TuningState.StatusRejected,
                [new TuningError("version", TuningErrorCode.StaleVersion, $"version {version} is not above {_state.HighestVersion}, the newest already processed; nothing changed")],
                null));
        }

        if (!check.IsValid)
        {
            LogRejected(_logger, check.Version, check.Errors.Count, string.Join("; ", check.Errors.Take(5).Select(e => $"{e.Path} {e.Code}")));
            if (check.Version is { } rejectedVersion)
            {
                Persist(_state with { HighestVersion = rejectedVersion });
            }

            return Remember(Report(check.Version, TuningState.StatusRejected, check.Errors, null));
        }

        var document = check.Document!;
        var overrides = TuningResolver.Merge(_state.Applied?.Overrides ?? new Dictionary<string, JsonNode>(), document);
        var resolution = TuningResolver.Resolve(_baseline, overrides, _mmapCapBytes());
        var failure = await ApplyAsync(_resolution.Effective, resolution.Effective, ct).ConfigureAwait(false);
        if (failure is not null)
        {
            Persist(_state with { HighestVersion = document.Version });
            return Remember(Report(document.Version, TuningState.StatusRejected, [failure], null));
        }

        var now = _timeProvider.GetUtcNow();
        var lastGood = _state.Applied is null || _state.Applied.Confirmed ? _state.Applied : _state.LastGood;
        var applied = new AppliedDocument(document.Version, overrides, now, Confirmed: false);
        _resolution = resolution;
        Persist(new TuningState(document.Version, applied, lastGood, TuningState.StatusApplied, null));
        StartProbation();
        foreach (var clamp in resolution.Clamped)
        {
            LogClamped(_logger, clamp.Path, clamp.Requested, clamp.Applied, clamp.Reason);
        }

        LogApplied(_logger, document.Version, string.Join(", ", document.Changes.Select(c => $"{c.Key}={c.Value?.ToJsonString() ?? "local"}")), _settings.ProbationSeconds);
        return Remember(Report(document.Version, TuningState.StatusApplied, [], null));
    }

    /// <summary>
    /// Called about once a second with EdgeStore's health. Returns the rolled_back report when probation fails;
    /// confirms the change once probation ends healthy.
    /// </summary>
    public async Task<ReportedDocument?> WatchAsync(bool healthy, string unhealthyReason, CancellationToken ct)
    {
        if (_probationStarted is not { } started)
        {
            return null;
        }

        var now = _timeProvider.GetTimestamp();
        if (healthy)
        {
            _unhealthySince = null;
            if (_timeProvider.GetElapsedTime(started, now) >= TimeSpan.FromSeconds(_settings.ProbationSeconds))
            {
                _probationStarted = null;
                var confirmed = _state.Applied! with { Confirmed = true };
                Persist(_state with { Applied = confirmed, LastGood = confirmed });
                LogConfirmed(_logger, confirmed.Version, _settings.ProbationSeconds);
            }

            return null;
        }

        _unhealthySince ??= now;
        var unhealthyFor = _timeProvider.GetElapsedTime(_unhealthySince.Value, now);
        if (unhealthyFor < TimeSpan.FromSeconds(_settings.RollbackAfterSeconds))
        {
            return null;
        }

        return await RollBackAsync($"{unhealthyReason} for {(int)unhealthyFor.TotalSeconds} s after version {_state.AppliedVersion} was applied", ct).ConfigureAwait(false);
    }

    private async Task<ReportedDocument> RollBackAsync(string reason, CancellationToken ct)
    {
        var failedVersion = _state.AppliedVersion;
        var target = _state.LastGood;
        var resolution = TuningResolver.Resolve(_baseline, target?.Overrides ?? new Dictionary<string, JsonNode>(), _mmapCapBytes());
        var failure = await ApplyAsync(_resolution.Effective, resolution.Effective, ct).ConfigureAwait(false);
        if (failure is not null)
        {
            reason += $"; restoring also failed: {failure.Message}";
        }

        _resolution = resolution;
        _probationStarted = null;
        _unhealthySince = null;
        Persist(new TuningState(_state.HighestVersion, target, target, TuningState.StatusRolledBack, reason));
        LogRolledBack(_logger, failedVersion, target?.Version ?? 0, reason);
        return Remember(Report(failedVersion, TuningState.StatusRolledBack, [], reason));
    }

    private async Task<TuningError?> ApplyAsync(TunedValues previous, TunedValues next, CancellationToken ct)
    {
        var done = new List<ILiveTuningTarget>();
        foreach (var target in _targets)
        {
            try
            {
                // Bounded: a target that cannot reach its part (a writer held elsewhere) must not stall remote tuning.
                using var bounded = CancellationTokenSource.CreateLinkedTokenSource(ct);
                bounded.CancelAfter(ApplyTimeout);
                await target.ApplyAsync(previous, next, bounded.Token).ConfigureAwait(false);
                done.Add(target);
            }
            catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
            {
                LogTargetFailed(_logger, e, target.Name);
                foreach (var undo in done.AsEnumerable().Reverse())
                {
                    try
                    {
                        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(ct);
                        bounded.CancelAfter(ApplyTimeout);
                        await undo.ApplyAsync(next, previous, bounded.Token).ConfigureAwait(false);
                    }
                    catch (Exception undoFailure) when (undoFailure is not OperationCanceledException || !ct.IsCancellationRequested)
                    {
                        LogTargetFailed(_logger, undoFailure, undo.Name);
                    }
                }

                return new TuningError(target.Name, TuningErrorCode.ApplyFailed, $"{target.Name} could not apply the change: {e.Message}; nothing changed");
            }
        }

        return null;
    }

    private void StartProbation()
    {
        _probationStarted = _timeProvider.GetTimestamp();
        _unhealthySince = null;
    }

    private void Persist(TuningState state)
    {
        _state = state;
        try
        {
            _file.Write(state);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The change is in force; it is lost at the next restart, and the operator is told why.
            LogPersistFailed(_logger, e, _file.Path);
        }
    }

    private ReportedDocument Report(long? version, string status, IReadOnlyList<TuningError> errors, string? reason) => new(
        version,
        status,
        _state.AppliedVersion,
        _resolution.Effective,
        _state.Applied?.Overrides ?? new Dictionary<string, JsonNode>(),
        _resolution.Clamped,
        errors,
        _state.Applied?.AppliedAt,
        reason);

    private ReportedDocument Remember(ReportedDocument report)
    {
        // A rejection answers one document; the state in force is still the last applied one, which is what a
        // reconnect republishes (with the rejection's errors, so they are not lost from the retained topic).
        _lastReport = report;
        return report;
    }

    private SortedDictionary<string, JsonNode> Revalidate(IReadOnlyDictionary<string, JsonNode> overrides) =>
        TuningResolver.Revalidate(overrides, (path, value, reason) => LogDroppedOverride(_logger, path, value, reason));

    private string? TrySetAside()
    {
        try
        {
            return _file.SetAside(_timeProvider.GetUtcNow());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    [LoggerMessage(EventId = 6001, Level = LogLevel.Information, Message = "Remote tuning version {Version} applied: {Changes}; watching broker and commits for {ProbationSeconds} s before trusting it")]
    private static partial void LogApplied(ILogger logger, long version, string changes, int probationSeconds);

    [LoggerMessage(EventId = 6002, Level = LogLevel.Warning, Message = "Remote tuning document (version {Version}) rejected with {ErrorCount} errors, nothing changed: {Errors}")]
    private static partial void LogRejected(ILogger logger, long? version, int errorCount, string errors);

    [LoggerMessage(EventId = 6003, Level = LogLevel.Debug, Message = "Remote tuning version {Version} ignored: it is the version already processed ({Highest})")]
    private static partial void LogIgnoredRedelivery(ILogger logger, long version, long highest);

    [LoggerMessage(EventId = 6004, Level = LogLevel.Debug, Message = "Remote tuning version {Version} ignored: not above {Highest}, the newest already processed")]
    private static partial void LogIgnoredStale(ILogger logger, long version, long highest);

    [LoggerMessage(EventId = 6005, Level = LogLevel.Warning, Message = "Remote tuning asked {Path} = {Requested}; applied {Applied}: {Reason}")]
    private static partial void LogClamped(ILogger logger, string path, long requested, long applied, string reason);

    [LoggerMessage(EventId = 6006, Level = LogLevel.Error, Message = "Remote tuning version {FailedVersion} rolled back to version {RestoredVersion}: {Reason}")]
    private static partial void LogRolledBack(ILogger logger, long failedVersion, long restoredVersion, string reason);

    [LoggerMessage(EventId = 6007, Level = LogLevel.Information, Message = "Remote tuning version {Version} confirmed: healthy for {ProbationSeconds} s; it is now what a later change rolls back to")]
    private static partial void LogConfirmed(ILogger logger, long version, int probationSeconds);

    [LoggerMessage(EventId = 6008, Level = LogLevel.Error, Message = "Remote tuning: {Target} refused the change; undoing it on the others")]
    private static partial void LogTargetFailed(ILogger logger, Exception exception, string target);

    [LoggerMessage(EventId = 6009, Level = LogLevel.Error, Message = "Remote tuning state could not be written to {Path}; the change is in force until the next restart")]
    private static partial void LogPersistFailed(ILogger logger, Exception exception, string path);

    [LoggerMessage(EventId = 6010, Level = LogLevel.Warning, Message = "Remote tuning state {Path} is unreadable ({Reason}); set aside as {Aside}, the local configuration applies alone")]
    private static partial void LogStateUnreadable(ILogger logger, string path, string reason, string aside);

    [LoggerMessage(EventId = 6011, Level = LogLevel.Warning, Message = "Remote tuning override {Path} = {Value} dropped at start: {Reason}")]
    private static partial void LogDroppedOverride(ILogger logger, string path, string value, string reason);

    [LoggerMessage(EventId = 6012, Level = LogLevel.Information, Message = "Remote tuning version {Version} ({Count} overrides) restored from {Path} before ingestion (confirmed: {Confirmed})")]
    private static partial void LogRestored(ILogger logger, long version, int count, string path, bool confirmed);
}
