namespace EdgeStore.Status;

/// <summary>
/// What stops a running daemon from doing its job, in an operator's words, for status.json's "problems" (and so for
/// `edgestore status`'s "degraded" and its exit code): the broker disconnected, an ingest loop stalled, a subscription
/// refused, storage-safe mode, a backlog that grows from one status write to the next, and the storage alarms. Empty
/// while all is well. Called by the status writer only, once per write.
/// </summary>
internal sealed class DaemonHealth
{
    /// <summary>A loop that has not beaten for this long is stuck (each beats at least once a second, idle or not).</summary>
    public static readonly TimeSpan StalledAfter = TimeSpan.FromSeconds(10);

    /// <summary>The backlog is "growing" when it rose at each of this many writes in a row.</summary>
    public const int GrowingWrites = 3;

    private readonly Queue<long> _backlogs = new();

    public List<string> Problems(StatusSources sources, IngestHeartbeat? heartbeat)
    {
        ArgumentNullException.ThrowIfNull(sources);
        var problems = new List<string>();
        var status = sources.Daemon;
        if (status is null || status.Phase != "running")
        {
            _backlogs.Clear();
            return problems; // starting and stopping are said by the phase
        }

        if (!status.BrokerConnected)
        {
            problems.Add("broker disconnected (reconnecting; nothing is received meanwhile)");
        }

        if (heartbeat is not null)
        {
            if (heartbeat.SinceIngestBeat > StalledAfter)
            {
                problems.Add($"ingest stalled: the receive loop has not run for {heartbeat.SinceIngestBeat.TotalSeconds:0} s");
            }

            if (heartbeat.SinceWriterBeat > StalledAfter)
            {
                problems.Add($"ingest stalled: the database writer has not run for {heartbeat.SinceWriterBeat.TotalSeconds:0} s");
            }
        }

        if (status.RefusedSubscriptions is { Count: > 0 } refused)
        {
            problems.Add($"subscription refused by the broker: {string.Join(", ", refused)} (check the broker's ACL; retrying)");
        }

        if (sources.SafeMode?.IsActive ?? status.SafeMode)
        {
            problems.Add("storage-safe mode (mmap off after repeated unclean exits; see `edgestore safe-mode show`)");
        }

        var backlog = status.Backlog;
        _backlogs.Enqueue(backlog);
        while (_backlogs.Count > GrowingWrites + 1)
        {
            _backlogs.Dequeue();
        }

        if (_backlogs.Count == GrowingWrites + 1 && _backlogs.Zip(_backlogs.Skip(1)).All(pair => pair.Second > pair.First))
        {
            problems.Add($"backlog growing: {backlog} messages received and not yet committed, more at each of the last {GrowingWrites} updates");
        }

        if (sources.Alarms is { } alarms)
        {
            if (alarms.DiskLow)
            {
                problems.Add("disk low: acknowledgements stopped until space is freed");
            }

            if (alarms.WalOverLimit)
            {
                problems.Add("WAL over its limit: checkpoints are falling behind");
            }
        }

        if (sources.DiskGuard is { AcksAllowed: false } && sources.Alarms is not { DiskLow: true })
        {
            problems.Add("disk guard: acknowledgements stopped");
        }

        return problems;
    }
}
