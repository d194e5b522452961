namespace EdgeStore.Status;

/// <summary>
/// Liveness of the two loops that matter: the ingest loop (socket to queue) and the batch writer
/// (queue to disk). Each loop beats on every iteration, idle ones included (they wake at least once
/// a second), so a beat that is old means a loop is stuck, not that no telemetry arrives.
/// The systemd watchdog is fed only while both beats are fresh.
/// </summary>
internal sealed class IngestHeartbeat
{
    private readonly TimeProvider _timeProvider;
    private long _ingestBeatTimestamp;
    private long _writerBeatTimestamp;

    public IngestHeartbeat(TimeProvider timeProvider)
    {
        _timeProvider = timeProvider;
        var now = timeProvider.GetTimestamp();
        _ingestBeatTimestamp = now;
        _writerBeatTimestamp = now;
    }

    public void IngestLoopBeat() => Volatile.Write(ref _ingestBeatTimestamp, _timeProvider.GetTimestamp());

    public void WriterBeat() => Volatile.Write(ref _writerBeatTimestamp, _timeProvider.GetTimestamp());

    public TimeSpan SinceIngestBeat => _timeProvider.GetElapsedTime(Volatile.Read(ref _ingestBeatTimestamp));

    public TimeSpan SinceWriterBeat => _timeProvider.GetElapsedTime(Volatile.Read(ref _writerBeatTimestamp));

    /// <summary>True when both loops beat within <paramref name="staleAfter"/>.</summary>
    public bool IsAlive(TimeSpan staleAfter) => SinceIngestBeat <= staleAfter && SinceWriterBeat <= staleAfter;
}
