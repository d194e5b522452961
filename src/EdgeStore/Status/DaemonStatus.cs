namespace EdgeStore.Status;

/// <summary>
/// What the daemon is doing right now, written by the services that know each fact and read by the
/// systemd STATUS= line, `edgestore status` and the metrics publisher. Each field is a single word
/// written atomically; readers may see fields from slightly different instants, which is fine for status.
/// </summary>
internal sealed class DaemonStatus
{
    private int _brokerConnected;
    private long _backlog;
    private long _mmapLimitBytes;
    private int _safeMode;
    private long _rowsStored;
    private long _acknowledged;
    private long _quarantined;
    private long _redeliveries;
    private long _oversizeQuarantined;
    private long _subscriptionsRefused;
    private long _brokerLossWarnings;
    private string[] _refusedSubscriptions = [];
    private string _phase = "starting";
    private MigrationStatus? _migration;

    /// <summary>
    /// Raised, on the thread that made the change, when <see cref="Phase"/> or <see cref="Migration"/> is set or
    /// <see cref="BrokerConnected"/> changes: the status file is rewritten at once, so a start-up that takes minutes shows
    /// what it is doing before the periodic writes begin, and `edgestore status` says "degraded: broker disconnected"
    /// (or no longer says it) as soon as the connection changes rather than up to one interval later.
    /// </summary>
    public event Action? PhaseChanged;

    /// <summary><c>starting</c>, <c>opening</c>, <c>migrating</c>, <c>running</c>, <c>stopping</c>, <c>stopped</c> (docs/STATUS.md).</summary>
    public string Phase
    {
        get => Volatile.Read(ref _phase);
        set
        {
            Volatile.Write(ref _phase, value);
            PhaseChanged?.Invoke();
        }
    }

    /// <summary>The schema migration under way at start-up, or null when none is running.</summary>
    public MigrationStatus? Migration
    {
        get => Volatile.Read(ref _migration);
        set
        {
            Volatile.Write(ref _migration, value);
            PhaseChanged?.Invoke();
        }
    }

    public bool BrokerConnected
    {
        get => Volatile.Read(ref _brokerConnected) != 0;
        set
        {
            if (Interlocked.Exchange(ref _brokerConnected, value ? 1 : 0) != (value ? 1 : 0))
            {
                PhaseChanged?.Invoke();
            }
        }
    }

    /// <summary>Messages received from the broker and not yet committed.</summary>
    public long Backlog
    {
        get => Interlocked.Read(ref _backlog);
        set => Interlocked.Exchange(ref _backlog, value);
    }

    public long MmapLimitBytes
    {
        get => Interlocked.Read(ref _mmapLimitBytes);
        set => Interlocked.Exchange(ref _mmapLimitBytes, value);
    }

    public bool SafeMode
    {
        get => Volatile.Read(ref _safeMode) != 0;
        set => Volatile.Write(ref _safeMode, value ? 1 : 0);
    }

    public long RowsStored => Interlocked.Read(ref _rowsStored);

    public long Acknowledged => Interlocked.Read(ref _acknowledged);

    public long Quarantined => Interlocked.Read(ref _quarantined);

    /// <summary>DUP=1 messages whose packet id was recorded: acknowledged without storing them again.</summary>
    public long Redeliveries => Interlocked.Read(ref _redeliveries);

    /// <summary>PUBLISHes over the maximum packet size, read through, quarantined and acknowledged.</summary>
    public long OversizeQuarantined => Interlocked.Read(ref _oversizeQuarantined);

    /// <summary>SUBACK refusals since start (each retry that is refused again counts).</summary>
    public long SubscriptionsRefused
    {
        get => Interlocked.Read(ref _subscriptionsRefused);
        set => Interlocked.Exchange(ref _subscriptionsRefused, value);
    }

    /// <summary>Filters the broker refuses right now (empty when every subscription is granted).</summary>
    public IReadOnlyList<string> RefusedSubscriptions
    {
        get => Volatile.Read(ref _refusedSubscriptions);
        set => Volatile.Write(ref _refusedSubscriptions, [.. value]);
    }

    /// <summary>Warnings that the broker may have dropped messages (lost session, MQTT 3.1.1 limits).</summary>
    public long BrokerLossWarnings => Interlocked.Read(ref _brokerLossWarnings);

    public void AddRedeliveries(long count) => Interlocked.Add(ref _redeliveries, count);

    public void AddOversizeQuarantined() => Interlocked.Increment(ref _oversizeQuarantined);

    public void AddBrokerLossWarning() => Interlocked.Increment(ref _brokerLossWarnings);

    public void AddStored(long rows, long quarantined, long acknowledged)
    {
        Interlocked.Add(ref _rowsStored, rows);
        Interlocked.Add(ref _quarantined, quarantined);
        Interlocked.Add(ref _acknowledged, acknowledged);
    }

    /// <summary>The one-line summary systemd shows in `systemctl status` (STATUS=).</summary>
    public string ToStatusLine() =>
        (Migration is { } migration
            ? $"migrating the database to schema version {migration.ToVersion} ({migration.Rows} rows)"
            : Phase) +
        $"; broker {(BrokerConnected ? "connected" : "disconnected")}; backlog {Backlog}; " +
        $"stored {RowsStored}; mmap limit {MmapLimitBytes / (1024 * 1024)} MiB{(SafeMode ? "; storage-safe mode" : string.Empty)}" +
        (RefusedSubscriptions.Count > 0 ? $"; subscription refused: {string.Join(", ", RefusedSubscriptions)}" : string.Empty);
}
