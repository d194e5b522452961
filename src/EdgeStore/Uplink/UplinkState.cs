using System.Text.Json.Nodes;
using EdgeStore.Configuration;
using EdgeStore.Storage.Forwarding;
using EdgeStore.Storage.Maintenance;
using Microsoft.Extensions.Logging;

namespace EdgeStore.Uplink;

/// <summary>
/// The uplink's live switches (enabled, rate), the rule retention and the disk guard follow for rows not yet
/// forwarded, and what status and the metrics topic show about forwarding. One instance per daemon, registered whether
/// the uplink is enabled or not, so remote tuning can switch it on and retention always asks the same object.
/// </summary>
internal sealed partial class UplinkState
{
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _enabled;
    private int _maxMessagesPerSecond;
    private int _connected;
    private long _forwarded;
    private long _quarantineForwarded;
    private long _unforwardedDropped;
    private long _backlogRows;
    private long _oldestUnforwardedMs = -1;
    private long _cursor;
    private long _publishFailures;
    private long _connects;
    private long _refusedSkipped;
    private int _inFlightLimit;
    private double _forwardedPerSecond;
    private string _phase = "disabled";
    private string? _lastError;
    private DateTimeOffset? _lastErrorAt;

    public UplinkState(UplinkSettings settings, ILogger<UplinkState> logger)
    {
        ArgumentNullException.ThrowIfNull(settings);
        Settings = settings;
        _logger = logger;
        _enabled = settings.Enabled ? 1 : 0;
        _maxMessagesPerSecond = settings.MaxMessagesPerSecond;
        _phase = settings.Enabled ? "starting" : "disabled";
    }

    /// <summary>Takes the two live values from <see cref="Settings"/> again (they hold the persisted remote tuning once the host has started).</summary>
    public void Reload()
    {
        MaxMessagesPerSecond = Settings.MaxMessagesPerSecond;
        Enabled = Settings.Enabled;
        if (!Enabled)
        {
            Phase = "disabled";
        }
    }

    /// <summary>The local settings (broker, TLS, batches); the two live values below start from them.</summary>
    public UplinkSettings Settings { get; }

    /// <summary>Forwarding on or off; remote tuning changes it live.</summary>
    public bool Enabled
    {
        get => Volatile.Read(ref _enabled) != 0;
        set
        {
            if (Interlocked.Exchange(ref _enabled, value ? 1 : 0) != (value ? 1 : 0))
            {
                SignalChange();
            }
        }
    }

    /// <summary>Rows per second at most; 0 means no limit. Remote tuning changes it live.</summary>
    public int MaxMessagesPerSecond
    {
        get => Volatile.Read(ref _maxMessagesPerSecond);
        set
        {
            if (Interlocked.Exchange(ref _maxMessagesPerSecond, value) != value)
            {
                SignalChange();
            }
        }
    }

    /// <summary>`disabled`, `starting`, `connecting`, `forwarding`, `caught up` or `waiting to reconnect`.</summary>
    public string Phase
    {
        get => Volatile.Read(ref _phase);
        set => Volatile.Write(ref _phase, value);
    }

    public bool Connected
    {
        get => Volatile.Read(ref _connected) != 0;
        set => Volatile.Write(ref _connected, value ? 1 : 0);
    }

    /// <summary>Rows (and quarantined payloads) acknowledged upstream since start.</summary>
    public long Forwarded => Interlocked.Read(ref _forwarded);

    public long QuarantineForwarded => Interlocked.Read(ref _quarantineForwarded);

    /// <summary>Unforwarded rows retention or the disk guard deleted because Uplink:RetentionDropsUnforwarded allowed it.</summary>
    public long UnforwardedDropped => Interlocked.Read(ref _unforwardedDropped);

    /// <summary>Stored rows not yet acknowledged upstream (messages, plus quarantine when it is forwarded).</summary>
    public long BacklogRows
    {
        get => Interlocked.Read(ref _backlogRows);
        set => Interlocked.Exchange(ref _backlogRows, value);
    }

    /// <summary>When the oldest unforwarded row was received (Unix ms), or null when nothing waits.</summary>
    public long? OldestUnforwardedAtMs
    {
        get => Interlocked.Read(ref _oldestUnforwardedMs) is var ms && ms >= 0 ? ms : null;
        set => Interlocked.Exchange(ref _oldestUnforwardedMs, value ?? -1);
    }

    /// <summary>The committed cursor of stored messages: every row up to this id was acknowledged upstream.</summary>
    public long Cursor
    {
        get => Interlocked.Read(ref _cursor);
        set => Interlocked.Exchange(ref _cursor, value);
    }

    /// <summary>Rows acknowledged upstream per second, over the last few seconds.</summary>
    public double ForwardedPerSecond
    {
        get => Volatile.Read(ref _forwardedPerSecond);
        set => Volatile.Write(ref _forwardedPerSecond, value);
    }

    /// <summary>Publishes awaiting their PUBACK at most on the current connection (the lower of Uplink:MaxInFlight and the broker's receive maximum).</summary>
    public int InFlightLimit
    {
        get => Volatile.Read(ref _inFlightLimit);
        set => Volatile.Write(ref _inFlightLimit, value);
    }

    public long PublishFailures => Interlocked.Read(ref _publishFailures);

    public long Connects => Interlocked.Read(ref _connects);

    /// <summary>Rows the upstream broker refused for good again and again (not authorized, invalid topic or payload), skipped; they stay in the database.</summary>
    public long RefusedSkipped => Interlocked.Read(ref _refusedSkipped);

    public void CountRefused() => Interlocked.Increment(ref _refusedSkipped);

    public string? LastError => Volatile.Read(ref _lastError);

    public DateTimeOffset? LastErrorAt
    {
        get
        {
            lock (_gate)
            {
                return _lastErrorAt;
            }
        }
    }

    /// <summary>Completes at the next change of <see cref="Enabled"/> or <see cref="MaxMessagesPerSecond"/>.</summary>
    public Task Changed
    {
        get
        {
            lock (_gate)
            {
                return _changed.Task;
            }
        }
    }

    /// <summary>What retention and the disk guard do with rows of <paramref name="stream"/> beyond the forwarding cursor.</summary>
    public UnforwardedRows RetentionRule(ForwardStream stream)
    {
        if (!Enabled || (stream == ForwardStream.Quarantine && !Settings.ForwardQuarantine))
        {
            return UnforwardedRows.NotForwarded;
        }

        return Settings.RetentionDropsUnforwarded ? UnforwardedRows.DropAndCount : UnforwardedRows.Keep;
    }

    /// <summary>Counts unforwarded rows deleted by <paramref name="by"/> and raises the alarm (a warning each time).</summary>
    public void CountDropped(ForwardStream stream, long rows, string by)
    {
        if (rows <= 0)
        {
            return;
        }

        var total = Interlocked.Add(ref _unforwardedDropped, rows);
        LogUnforwardedDropped(_logger, rows, ForwardingRows.Name(stream), by, total);
    }

    public void AddForwarded(ForwardStream stream, long rows)
    {
        Interlocked.Add(ref _forwarded, rows);
        if (stream == ForwardStream.Quarantine)
        {
            Interlocked.Add(ref _quarantineForwarded, rows);
        }
    }

    public void CountConnect() => Interlocked.Increment(ref _connects);

    public void RecordError(string error, DateTimeOffset at)
    {
        Interlocked.Increment(ref _publishFailures);
        Volatile.Write(ref _lastError, error);
        lock (_gate)
        {
            _lastErrorAt = at;
        }
    }

    /// <summary>
    /// The `uplink` object of status.json and of the metrics topic (one shape for both). Times are Unix milliseconds
    /// and ages seconds, so a script need not parse dates.
    /// </summary>
    public JsonObject ToJson(DateTimeOffset now)
    {
        var oldest = OldestUnforwardedAtMs;
        return new JsonObject
        {
            ["enabled"] = Enabled,
            ["phase"] = Phase,
            ["connected"] = Connected,
            ["endpoint"] = Settings.Host is null ? null : UplinkConnection.DescribeEndpoint(Settings),
            ["backlogRows"] = BacklogRows,
            ["oldestUnforwardedAtMs"] = oldest,
            ["oldestUnforwardedAgeSeconds"] = oldest is { } at ? Math.Max(0, (now.ToUnixTimeMilliseconds() - at) / 1000) : null,
            ["forwarded"] = Forwarded,
            ["forwardedPerSecond"] = Math.Round(ForwardedPerSecond, 1),
            ["quarantineForwarded"] = QuarantineForwarded,
            ["cursor"] = Cursor,
            ["inFlightLimit"] = InFlightLimit,
            ["maxMessagesPerSecond"] = MaxMessagesPerSecond,
            ["connects"] = Connects,
            ["failures"] = PublishFailures,
            ["lastError"] = LastError,
            ["lastErrorAtMs"] = LastErrorAt?.ToUnixTimeMilliseconds(),
            ["unforwardedDropped"] = UnforwardedDropped,
            ["refusedSkipped"] = RefusedSkipped,
        };
    }

    /// <summary>The part of the STATUS= line and `edgestore status` text about the uplink.</summary>
    public string Describe() =>
        !Enabled ? "uplink disabled"
            : $"uplink {Phase}; backlog {BacklogRows} rows; forwarded {Forwarded}" + (LastError is { } error && !Connected ? $"; last error: {error}" : string.Empty);

    private void SignalChange()
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            changed = _changed;
            _changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        changed.TrySetResult();
    }

    [LoggerMessage(EventId = 8010, Level = LogLevel.Warning, Message = "Deleted {Rows} {Table} rows that were never forwarded upstream ({By}; Uplink:RetentionDropsUnforwarded is true); {Total} unforwarded rows dropped since start")]
    private static partial void LogUnforwardedDropped(ILogger logger, long rows, string table, string by, long total);
}
