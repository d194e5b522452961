using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace EdgeStore.Storage;

/// <summary>
/// The one writer of the database (docs/ARCHITECTURE.md, Data flow and C1): takes decoded records from the ingest channel, group-commits
/// them in explicit transactions (a batch closes at <see cref="MaxBatchRows"/> records or
/// <see cref="MaxBatchLatency"/> after its first record), and reports each batch's ack tags only after COMMIT
/// returned. A commit that fails with a full disk or an I/O error is rolled back, nothing of it is reported,
/// and the same batch is retried with backoff: nothing acknowledged, nothing lost.
/// Between batches (the boundary) the writer holds no transaction and no unfinished statement; that is where it
/// applies new memory limits and where <see cref="PauseAsync"/> holds it.
/// </summary>
public sealed class BatchWriter : IAsyncDisposable
{
    /// <summary>The longest the loop goes without beating, idle or paused or waiting to retry.</summary>
    internal static readonly TimeSpan HeartbeatInterval = TimeSpan.FromMilliseconds(500);

    /// <summary>How long the writer idles before it releases the held-back QoS 1 acknowledgement.</summary>
    internal static readonly TimeSpan HeldAcknowledgementIdleRelease = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan FirstRetryDelay = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(5);

    private readonly SqliteConnectionFactory _factory;
    private readonly SqliteConnection _connection;
    private readonly IngestStatements _statements;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly Action _onDisposed;
    private readonly Dictionary<string, long> _seriesByTopic = new(StringComparer.Ordinal);
    private readonly List<string> _seriesCreatedInBatch = [];
    private readonly List<IngestRecord> _batch = [];
    private readonly SemaphoreSlim _boundary = new(1, 1);
    private readonly SemaphoreSlim _writerActions = new(1, 1);
    private readonly CancellationTokenSource _disposing = new();
    private CancellationTokenSource _wake = new();
    private WriterPause? _activePause;
    private Task? _running;
    private long _appliedProfileGeneration;
    private long _appliedShrinkGeneration;
    private int _maxBatchRows;
    private long _maxBatchLatencyTicks;
    private int _disposed;
    private bool _draining;

    // The ack ledger's order: the next commit position, the newest redelivery recognised on the current connection,
    // and the QoS 1 acknowledgement held back (see SettleAsync).
    private long _nextSeq;
    private long _maxMatchedSeq;
    private SettleEntry? _held;
    private long _lastCommitTimestamp;

    internal BatchWriter(SqliteConnectionFactory factory, StorageOptions options, ILogger logger, TimeProvider timeProvider, Action onDisposed)
    {
        _factory = factory;
        _logger = logger;
        _timeProvider = timeProvider;
        _onDisposed = onDisposed;
        _maxBatchRows = options.MaxBatchRows;
        _maxBatchLatencyTicks = options.MaxBatchLatency.Ticks;
        _connection = factory.OpenWriter();
        try
        {
            // The connection was just opened at the current limits.
            _appliedProfileGeneration = factory.ProfileGeneration;
            _appliedShrinkGeneration = factory.ShrinkGeneration;
            LoadSeries();
            _nextSeq = SqliteConnectionFactory.ExecuteInt64(_connection, "SELECT coalesce(max(seq), 0) + 1 FROM ack_ledger");
            _statements = new IngestStatements(_connection);
        }
        catch
        {
            _connection.Dispose();
            throw;
        }

        _factory.MemoryLimitsChanged += WakeUp;
    }

    /// <summary>Invoked on every loop iteration, idle, paused and retrying included, at least every half second.</summary>
    public Action? Heartbeat { get; set; }

    public BatchWriterCounters Counters { get; } = new();

    /// <summary>Live setting (remote tuning): takes effect from the next batch.</summary>
    public int MaxBatchRows
    {
        get => Volatile.Read(ref _maxBatchRows);
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
            Volatile.Write(ref _maxBatchRows, value);
        }
    }

    /// <summary>Live setting (remote tuning): takes effect from the next batch.</summary>
    public TimeSpan MaxBatchLatency
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _maxBatchLatencyTicks));
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.Zero);
            Interlocked.Exchange(ref _maxBatchLatencyTicks, value.Ticks);
        }
    }

    /// <summary>True while a <see cref="PauseAsync"/> handle is held.</summary>
    public bool IsPaused => Volatile.Read(ref _activePause) is not null;

    /// <summary>Test seam: called with the writer connection after a failed commit was rolled back, before the retry.</summary>
    internal Action<SqliteConnection, int>? AfterFailedCommit { get; set; }

    /// <summary>
    /// Runs until <paramref name="input"/> completes (the remainder is committed and reported) or
    /// <paramref name="ct"/> is cancelled (the batch in hand and the records already queued are committed and
    /// reported; the report then gets <see cref="CancellationToken.None"/> so acknowledgements still go out).
    /// </summary>
    public Task RunAsync(ChannelReader<IngestRecord> input, Func<CommittedBatch, CancellationToken, ValueTask> onCommitted, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(onCommitted);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (_running is { IsCompleted: false })
        {
            throw new InvalidOperationException("The batch writer is already running; a database has one writer loop.");
        }

        var running = RunLoopAsync(input, onCommitted, ct);
        _running = running;
        return running;
    }

    /// <summary>
    /// Resolves once the writer is idle at a batch boundary (holding no transaction) and keeps it there until the
    /// returned handle is disposed. Records keep queueing in the channel meanwhile (the bounded channel then
    /// pushes back on the socket); nothing is acknowledged while paused. Pauses do not nest: a second caller waits.
    /// A writer stopped while paused commits what is queued once the pause is released, so release it on shutdown.
    /// </summary>
    public async Task<IAsyncDisposable> PauseAsync(CancellationToken ct)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        await _boundary.WaitAsync(ct).ConfigureAwait(false);
        var pause = new WriterPause(this, _timeProvider.GetTimestamp());
        Volatile.Write(ref _activePause, pause);
        StorageLog.WriterPaused(_logger);
        return pause;
    }

    /// <summary>
    /// Runs <paramref name="action"/> on the writer connection at a batch boundary, with no transaction open:
    /// while paused it runs at once; otherwise the writer is held at its next boundary for the duration.
    /// Calls are serialized. The action must leave no transaction open and no statement unfinished. Afterwards the
    /// writer re-applies the factory's current memory limits at its next boundary, so an action may change them freely.
    /// Never call it from the onCommitted callback: the loop holds the boundary while it reports.
    /// </summary>
    public async Task RunOnWriterAsync(Func<SqliteConnection, CancellationToken, Task> action, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(action);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var heldHere = false;
        if (!IsPaused)
        {
            await _boundary.WaitAsync(ct).ConfigureAwait(false);
            heldHere = true;
        }

        try
        {
            await _writerActions.WaitAsync(ct).ConfigureAwait(false);
            try
            {
                await action(_connection, ct).ConfigureAwait(false);
            }
            finally
            {
                // Whatever the action did to mmap_size or cache_size (maintenance takes mmap to 0), the writer
                // goes back to the factory's current limits at its next boundary, read back.
                _appliedProfileGeneration = -1;
                _writerActions.Release();
            }
        }
        finally
        {
            if (heldHere)
            {
                _boundary.Release();
            }
        }
    }

    /// <summary>Stops a running loop (committing and reporting what it holds), then closes the writer connection.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _factory.MemoryLimitsChanged -= WakeUp;
        await _disposing.CancelAsync().ConfigureAwait(false);
        if (_running is { } running)
        {
            try
            {
                await running.ConfigureAwait(false);
            }
            catch (Exception) when (running.IsFaulted || running.IsCanceled)
            {
                // The loop's own caller observes its failure; disposal only needs it stopped.
            }
        }

        _statements.RollbackIfOpen();
        _statements.Dispose();
        await _connection.DisposeAsync().ConfigureAwait(false);
        _disposing.Dispose();
        _onDisposed();
    }

    internal void Resume(WriterPause pause)
    {
        if (Interlocked.CompareExchange(ref _activePause, null, pause) == pause)
        {
            StorageLog.WriterResumed(_logger, _timeProvider.GetElapsedTime(pause.PausedAtTimestamp));
            _boundary.Release();
        }
    }

    private async Task RunLoopAsync(ChannelReader<IngestRecord> input, Func<CommittedBatch, CancellationToken, ValueTask> onCommitted, CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct, _disposing.Token);
        var stopping = stop.Token;
        _draining = false;
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                Beat();
                var available = await WaitForInputAsync(input, stopping).ConfigureAwait(false);
                if (available == false)
                {
                    // Input completed and fully drained (a stop). The held acknowledgement stays held: closing the
                    // connection while the broker still sends can reset it and lose the PUBACKs still in flight, so the
                    // acknowledged records stay to recognise those redeliveries, and the held one is redelivered and
                    // recognised on the next start.
                    return;
                }

                if (!await EnterBoundaryAsync(stopping).ConfigureAwait(false))
                {
                    break;
                }

                try
                {
                    _factory.ApplyMemoryLimitsToWriter(_connection, ref _appliedProfileGeneration, ref _appliedShrinkGeneration);
                    if (available == true)
                    {
                        // Returns early when stopping; what it holds is still committed and reported below.
                        await CollectBatchAsync(input, stopping).ConfigureAwait(false);
                    }

                    if (_batch.Count > 0)
                    {
                        if (!await CommitAndReportAsync(onCommitted, stopping).ConfigureAwait(false))
                        {
                            return; // stopped while the disk refused the batch: nothing reported, nothing lost
                        }

                        _lastCommitTimestamp = _timeProvider.GetTimestamp();
                    }
                    else if (_held is not null && _timeProvider.GetElapsedTime(_lastCommitTimestamp) >= HeldAcknowledgementIdleRelease)
                    {
                        await ReleaseHeldAsync(onCommitted, stopping).ConfigureAwait(false);
                    }
                }
                finally
                {
                    _boundary.Release();
                }
            }

            await DrainAsync(input, onCommitted).ConfigureAwait(false);
        }
        finally
        {
            ClearBatch();
            StorageLog.WriterStopped(_logger, Counters.Batches, Counters.Inserted, Counters.Redeliveries, Counters.Quarantined);
        }
    }

    // On stop: commit what is already queued (it was received; QoS 0 must not be dropped while running) without
    // waiting for more, in batches; bounded by the channel's own capacity and a batch count.
    private async Task DrainAsync(ChannelReader<IngestRecord> input, Func<CommittedBatch, CancellationToken, ValueTask> onCommitted)
    {
        const int MaxDrainBatches = 1000;
        if (!await EnterBoundaryAsync(CancellationToken.None).ConfigureAwait(false))
        {
            return;
        }

        _draining = true;
        try
        {
            for (var i = 0; i < MaxDrainBatches; i++)
            {
                var maxRows = MaxBatchRows;
                while (_batch.Count < maxRows && input.TryRead(out var record))
                {
                    _batch.Add(record);
                }

                if (_batch.Count == 0)
                {
                    return; // the held acknowledgement stays held, as after input completes (see RunLoopAsync)
                }

                if (!await CommitAndReportAsync(onCommitted, CancellationToken.None, retry: false).ConfigureAwait(false))
                {
                    return;
                }
            }
        }
        finally
        {
            _boundary.Release();
        }
    }

    /// <summary>
    /// Reports the held-back QoS 1 acknowledgement on its own (the writer idles). Settling it (see
    /// <see cref="SettleAsync"/>) deletes every acknowledged QoS 1 record and the held one before its PUBACK may go out,
    /// so no record is left that a message under a reused id could be mistaken for; at worst, a crash in the instant
    /// between that commit and the PUBACK stores this one message twice.
    /// </summary>
    private async ValueTask ReleaseHeldAsync(Func<CommittedBatch, CancellationToken, ValueTask> onCommitted, CancellationToken ct)
    {
        if (_held is not { } held)
        {
            return;
        }

        _held = null;
        var release = new CommittedBatch(this, [held.Tag], [held with { IsQos1Message = false, ReleasesHeld = true }], 0, 0, 0, 0, TimeSpan.Zero);
        await onCommitted(release, ct).ConfigureAwait(false);
    }

    // true: records are available; false: input completed and empty; null: woke up for a beat or new limits.
    private async ValueTask<bool?> WaitForInputAsync(ChannelReader<IngestRecord> input, CancellationToken stopping)
    {
        if (input.TryPeek(out _))
        {
            return true;
        }

        var wake = Volatile.Read(ref _wake);
        if (wake.IsCancellationRequested)
        {
            Volatile.Write(ref _wake, new CancellationTokenSource());
            return null;
        }

        using var beat = new CancellationTokenSource(HeartbeatInterval, _timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stopping, beat.Token, wake.Token);
        try
        {
            return await input.WaitToReadAsync(linked.Token).ConfigureAwait(false) ? true : false;
        }
        catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
        {
            return null;
        }
        catch (OperationCanceledException)
        {
            return null; // the loop condition sees the stop
        }
    }

    // Waits for the boundary (free unless a pause or a writer action holds it), beating meanwhile.
    private async ValueTask<bool> EnterBoundaryAsync(CancellationToken stopping)
    {
        if (_boundary.Wait(0))
        {
            return true; // the usual case: nobody holds the writer, no timer needed
        }

        while (true)
        {
            Beat();
            using var beat = new CancellationTokenSource(HeartbeatInterval, _timeProvider);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(stopping, beat.Token);
            try
            {
                await _boundary.WaitAsync(linked.Token).ConfigureAwait(false);
                return true;
            }
            catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
            {
                // A beat is due; keep waiting.
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }
    }

    // Fills _batch up to MaxBatchRows or until MaxBatchLatency after its first record. False when stopping.
    private async ValueTask<bool> CollectBatchAsync(ChannelReader<IngestRecord> input, CancellationToken stopping)
    {
        var maxRows = MaxBatchRows;
        var latency = MaxBatchLatency;
        long firstTimestamp = 0;
        CancellationTokenSource? deadline = null;
        CancellationTokenSource? linked = null;
        try
        {
            while (_batch.Count < maxRows)
            {
                if (input.TryRead(out var record))
                {
                    if (_batch.Count == 0)
                    {
                        firstTimestamp = _timeProvider.GetTimestamp();
                    }

                    _batch.Add(record);
                    continue;
                }

                if (_batch.Count == 0)
                {
                    return !stopping.IsCancellationRequested; // someone else took it (not expected: one reader)
                }

                if (deadline is null)
                {
                    var remaining = latency - _timeProvider.GetElapsedTime(firstTimestamp);
                    if (remaining <= TimeSpan.Zero)
                    {
                        return true;
                    }

                    // A long MaxBatchLatency is waited in slices so the loop still beats.
                    deadline = new CancellationTokenSource(remaining < HeartbeatInterval ? remaining : HeartbeatInterval, _timeProvider);
                    linked = CancellationTokenSource.CreateLinkedTokenSource(stopping, deadline.Token);
                }

                try
                {
                    if (!await input.WaitToReadAsync(linked!.Token).ConfigureAwait(false))
                    {
                        return true; // input completed: commit the remainder
                    }
                }
                catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
                {
                    // The slice ended: beat, then either the batch deadline has come or another slice starts.
                    linked!.Dispose();
                    deadline.Dispose();
                    linked = null;
                    deadline = null;
                    Beat();
                }
                catch (OperationCanceledException)
                {
                    return false; // stopping: the caller commits what is held
                }
            }

            return true;
        }
        finally
        {
            linked?.Dispose();
            deadline?.Dispose();
        }
    }

    // Empties _batch once its records are committed or given up: no payload of it is bound again, so the slab's holds
    // on their memory are released here, and only here.
    private void ClearBatch()
    {
        foreach (var record in _batch)
        {
            record.PayloadBlock?.Release();
        }

        _batch.Clear();
    }

    // Commits _batch (retrying transient failures unless told not to) and reports it. False when it could not commit.
    private async ValueTask<bool> CommitAndReportAsync(Func<CommittedBatch, CancellationToken, ValueTask> onCommitted, CancellationToken stopping, bool retry = true)
    {
        var delay = FirstRetryDelay;
        for (var attempt = 1; ; attempt++)
        {
            CommittedBatch committed;
            try
            {
                committed = CommitOnce();
            }
            catch (SqliteException ex) when (IsTransient(ex))
            {
                _statements.RollbackIfOpen();
                ForgetSeriesCreatedInBatch();
                Counters.AddCommitFailure();
                StorageLog.CommitFailed(_logger, _batch.Count, attempt, ex.SqliteErrorCode, delay, ex);
                AfterFailedCommit?.Invoke(_connection, attempt);
                if (!retry || stopping.IsCancellationRequested || !await DelayWithBeatsAsync(delay, stopping).ConfigureAwait(false))
                {
                    StorageLog.UncommittedAtStop(_logger, _batch.Count);
                    ClearBatch();
                    return false;
                }

                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRetryDelay.Ticks));
                continue;
            }
            catch
            {
                _statements.RollbackIfOpen();
                ForgetSeriesCreatedInBatch();
                ClearBatch();
                throw;
            }

            if (attempt > 1)
            {
                StorageLog.CommitRecovered(_logger, attempt);
            }

            ClearBatch();
            Counters.AddBatch(committed.Inserted, committed.Redeliveries, committed.Quarantined, committed.CommitDuration);
            StorageLog.BatchCommitted(_logger, committed.Records, committed.Inserted, committed.Redeliveries, committed.Quarantined, committed.CommitDuration.TotalMilliseconds);
            await onCommitted(committed, stopping.IsCancellationRequested ? CancellationToken.None : stopping).ConfigureAwait(false);
            return true;
        }
    }

    private CommittedBatch CommitOnce()
    {
        var started = _timeProvider.GetTimestamp();
        _seriesCreatedInBatch.Clear();
        _statements.Begin();
        var ledgerBefore = (_nextSeq, _maxMatchedSeq);
        var entries = new List<SettleEntry>(_batch.Count);
        int inserted = 0, redeliveries = 0, quarantined = 0, released = 0;
        try
        {
            foreach (var record in _batch)
            {
                switch (record.Kind)
                {
                    case IngestRecordKind.NewSession:
                        // The broker holds nothing for us any more: no record can describe a message it will resend.
                        _statements.ForgetAll();
                        _maxMatchedSeq = 0;
                        continue;
                    case IngestRecordKind.SessionResumed:
                        _maxMatchedSeq = 0;
                        continue;
                    case IngestRecordKind.Release:
                        // PUBREL: the broker has dropped the message; forget its id in this commit, before our PUBCOMP.
                        _statements.Forget(record.PacketId);
                        released++;
                        AddEntry(entries, record, 0);
                        continue;
                }

                if (IsRedelivery(record, out var seq))
                {
                    redeliveries++;
                    AddEntry(entries, record, seq);
                    continue;
                }

                if (record.QuarantineReason is not null)
                {
                    _statements.InsertQuarantine(record);
                    quarantined++;
                }
                else
                {
                    _statements.InsertMessage(SeriesId(record.Topic), record);
                    inserted++;
                }

                seq = 0;
                if (record.PacketId != 0 && record.Qos > 0)
                {
                    seq = _nextSeq++;
                    _statements.Record(record.PacketId, record.Qos, seq, record.ReceivedAtUnixMs);
                }

                AddEntry(entries, record, seq);
            }

            _statements.Commit();
        }
        catch
        {
            (_nextSeq, _maxMatchedSeq) = ledgerBefore;
            throw;
        }

        var duration = _timeProvider.GetElapsedTime(started);

        // Only now, after COMMIT returned, do the tags become reportable.
        var tags = new long[entries.Count];
        for (var i = 0; i < tags.Length; i++)
        {
            tags[i] = entries[i].Tag;
        }

        return new CommittedBatch(this, tags, [.. entries], inserted, redeliveries, quarantined, released, duration);
    }

    private static void AddEntry(List<SettleEntry> entries, in IngestRecord record, long seq)
    {
        if (record.AckTag != 0)
        {
            entries.Add(new SettleEntry(record.AckTag, record.PacketId, seq, record.Kind == IngestRecordKind.Message && record.Qos == 1 && seq != 0));
        }
    }

    /// <summary>
    /// The only duplicates are redeliveries, and MQTT says which: DUP=1 and the packet id of a message the broker still
    /// holds. After a reconnect the broker resends everything it holds in the order it first sent it (MQTT 3.1.1 and 5,
    /// §4.6), and EdgeStore committed what it received in that same order (the ledger's <c>seq</c>), so the genuine
    /// redeliveries on a connection match records in strictly increasing <c>seq</c>. A DUP=1 match that is not newer
    /// than the last one recognised on this connection is therefore a different message under a reused id, and is
    /// stored. That covers a QoS 1 record whose PUBACK went out: the broker reuses the id only after it had the PUBACK
    /// and sends the new message after every committed one, including the newest QoS 1 record, whose acknowledgement is
    /// always held back (<see cref="SettleAsync"/>) and whose redelivery therefore comes first. It also covers a broker
    /// that puts two unacknowledged messages under one id (mosquitto 2.0.11 does once a client's backlog passes 65535):
    /// the second is stored, so the worst case there is a duplicate, never a loss.
    /// </summary>
    private bool IsRedelivery(in IngestRecord record, out long seq)
    {
        seq = 0;
        if (!record.Redelivered || record.PacketId == 0 || _statements.Find(record.PacketId) is not { } found || found.Qos != record.Qos)
        {
            return false;
        }

        if (found.Seq <= _maxMatchedSeq)
        {
            StorageLog.PacketIdReused(_logger, record.PacketId, found.Seq, _maxMatchedSeq);
            return false;
        }

        _maxMatchedSeq = found.Seq;
        seq = found.Seq;
        return true;
    }

    /// <summary>
    /// Settles a committed batch right before its acknowledgements go out (<see cref="CommittedBatch.SettleAsync"/>).
    /// The newest acknowledgeable QoS 1 message keeps its acknowledgement back (the held record) and every other one is
    /// marked acknowledged in one small commit before its PUBACK may leave; the previously held one is released with
    /// them. So while acknowledged records exist, the newest QoS 1 record is unacknowledged, and the broker must resend
    /// it before any message that could reuse an acknowledged id: that ordering is what <see cref="IsRedelivery"/>
    /// relies on. The held acknowledgement waits until the next batch, or until the writer has idled for
    /// <see cref="HeldAcknowledgementIdleRelease"/> (<see cref="ReleaseHeldAsync"/>); a stop or a crash leaves it
    /// unacknowledged and the broker redelivers it, recognised. Runs inside the report callback, where the loop holds the boundary, so the
    /// writer connection is this caller's. Transient failures are retried with backoff while running.
    /// </summary>
    internal async ValueTask<IReadOnlyList<long>> SettleAsync(CommittedBatch batch, Func<long, bool> willAcknowledge, CancellationToken ct)
    {
        if (batch.Entries is [{ ReleasesHeld: true } release])
        {
            // A held tag whose connection is gone is dropped: its record stays unacknowledged and the broker redelivers it.
            return willAcknowledge(release.Tag) && await ForgetAcknowledgedAsync(release, ct).ConfigureAwait(false) ? [release.Tag] : [];
        }

        var acknowledge = new List<long>(batch.Entries.Length + 1);
        var qos1 = new List<SettleEntry>(batch.Entries.Length + 1);
        foreach (var entry in batch.Entries)
        {
            if (!willAcknowledge(entry.Tag))
            {
                continue;
            }

            if (entry.IsQos1Message)
            {
                qos1.Add(entry);
            }
            else
            {
                acknowledge.Add(entry.Tag);
            }
        }

        if (_held is { } held)
        {
            if (willAcknowledge(held.Tag))
            {
                qos1.Add(held);
            }

            // A held tag whose connection is gone can never be sent: its record stays unacknowledged and the broker
            // redelivers it on the next connection.
            _held = null;
        }

        if (qos1.Count == 0)
        {
            return acknowledge;
        }

        var newest = qos1[0];
        foreach (var entry in qos1)
        {
            if (entry.Seq > newest.Seq)
            {
                newest = entry;
            }
        }

        qos1.Remove(newest);
        if (qos1.Count > 0 && !await MarkAckedAsync(qos1, ct).ConfigureAwait(false))
        {
            return [];
        }

        _held = newest;
        foreach (var entry in qos1)
        {
            acknowledge.Add(entry.Tag);
        }

        return acknowledge;
    }

    private ValueTask<bool> ForgetAcknowledgedAsync(SettleEntry held, CancellationToken ct) =>
        CommitLedgerChangeAsync(1, () =>
        {
            _statements.ForgetAcknowledged();
            _statements.Forget(held.PacketId);
        }, ct);

    private ValueTask<bool> MarkAckedAsync(List<SettleEntry> entries, CancellationToken ct) =>
        CommitLedgerChangeAsync(entries.Count, () =>
        {
            foreach (var entry in entries)
            {
                _statements.MarkAcked(entry.PacketId, entry.Seq);
            }
        }, ct);

    // One small ledger transaction on the writer connection, retried with backoff on transient failures while running.
    private async ValueTask<bool> CommitLedgerChangeAsync(int packetIds, Action change, CancellationToken ct)
    {
        var delay = FirstRetryDelay;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                _statements.Begin();
                change();
                _statements.Commit();
                return true;
            }
            catch (SqliteException ex) when (IsTransient(ex))
            {
                _statements.RollbackIfOpen();
                Counters.AddCommitFailure();
                StorageLog.SettleFailed(_logger, packetIds, attempt, ex.SqliteErrorCode, delay, ex);
                if (_draining || ct.IsCancellationRequested || !await DelayWithBeatsAsync(delay, ct).ConfigureAwait(false))
                {
                    return false;
                }

                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, MaxRetryDelay.Ticks));
            }
        }
    }

    private long SeriesId(string topic)
    {
        if (_seriesByTopic.TryGetValue(topic, out var id))
        {
            return id;
        }

        id = _statements.GetOrCreateSeries(topic, out var created);
        _seriesByTopic[topic] = id;
        if (created)
        {
            _seriesCreatedInBatch.Add(topic);
        }

        return id;
    }

    // A rolled-back batch takes its new series rows with it; the cache must not keep their ids.
    private void ForgetSeriesCreatedInBatch()
    {
        foreach (var topic in _seriesCreatedInBatch)
        {
            _seriesByTopic.Remove(topic);
        }

        _seriesCreatedInBatch.Clear();
    }

    private void LoadSeries()
    {
        using var command = _connection.CreateCommand();
        command.CommandText = "SELECT id, topic FROM series";
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            _seriesByTopic[reader.GetString(1)] = reader.GetInt64(0);
        }
    }

    private async ValueTask<bool> DelayWithBeatsAsync(TimeSpan delay, CancellationToken stopping)
    {
        var until = _timeProvider.GetTimestamp();
        var remaining = delay;
        try
        {
            while (remaining > TimeSpan.Zero)
            {
                Beat();
                var step = remaining < HeartbeatInterval ? remaining : HeartbeatInterval;
                await Task.Delay(step, _timeProvider, stopping).ConfigureAwait(false);
                remaining = delay - _timeProvider.GetElapsedTime(until);
            }

            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    // Disk full, I/O error, or the lock held elsewhere past busy_timeout: the batch may well commit later.
    private static bool IsTransient(SqliteException ex) =>
        (ex.SqliteErrorCode & 0xFF) is SQLitePCL.raw.SQLITE_FULL or SQLitePCL.raw.SQLITE_IOERR or SQLitePCL.raw.SQLITE_BUSY or SQLitePCL.raw.SQLITE_LOCKED;

    private void Beat() => Heartbeat?.Invoke();

    private void WakeUp() => Volatile.Read(ref _wake).Cancel();
}
