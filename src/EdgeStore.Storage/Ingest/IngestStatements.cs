using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace EdgeStore.Storage;

/// <summary>
/// The writer's prepared statements, bound and stepped through the raw SQLite API: prepared once, reset
/// after every step and reused across batches, with values bound in place (no boxing, no payload copy in
/// managed code). This is the hot path of ingestion. A step error surfaces as <see cref="SqliteException"/>.
/// Statements are always reset after use, so the connection never holds an unfinished statement at a
/// batch boundary (which would make SQLite ignore <c>PRAGMA mmap_size</c>).
/// </summary>
internal sealed class IngestStatements : IDisposable
{
    private readonly sqlite3 _db;
    private readonly sqlite3_stmt _begin;
    private readonly sqlite3_stmt _commit;
    private readonly sqlite3_stmt _rollback;
    private readonly sqlite3_stmt _insertSeries;
    private readonly sqlite3_stmt _selectSeries;
    private readonly sqlite3_stmt _insertMessage;
    private readonly sqlite3_stmt _insertQuarantine;
    private readonly sqlite3_stmt _selectLedger;
    private readonly sqlite3_stmt _recordLedger;
    private readonly sqlite3_stmt _forgetLedger;
    private readonly sqlite3_stmt _clearLedger;
    private readonly sqlite3_stmt _markAcked;
    private readonly sqlite3_stmt _forgetAcknowledged;

    public IngestStatements(SqliteConnection connection)
    {
        _db = connection.Handle ?? throw new InvalidOperationException("The writer connection is not open.");
        // BEGIN IMMEDIATE takes the write lock up front: this is the only writer, and a lock upgrade
        // half-way through a batch could fail with SQLITE_BUSY after rows were already inserted.
        _begin = Prepare("BEGIN IMMEDIATE");
        _commit = Prepare("COMMIT");
        _rollback = Prepare("ROLLBACK");
        _insertSeries = Prepare("INSERT INTO series(topic) VALUES(?1) ON CONFLICT(topic) DO NOTHING");
        _selectSeries = Prepare("SELECT id FROM series WHERE topic = ?1");
        _insertMessage = Prepare("""
            INSERT INTO messages(series_id, received_at_ms, device_ts_ms, device_seq, qos, retain, payload)
            VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)
            """);
        _selectLedger = Prepare("SELECT qos, seq, acked FROM ack_ledger WHERE packet_id = ?1");
        _recordLedger = Prepare("""
            INSERT INTO ack_ledger(packet_id, qos, seq, acked, recorded_at_ms) VALUES(?1, ?2, ?3, 0, ?4)
            ON CONFLICT(packet_id) DO UPDATE SET qos = excluded.qos, seq = excluded.seq, acked = 0, recorded_at_ms = excluded.recorded_at_ms
            """);
        _forgetLedger = Prepare("DELETE FROM ack_ledger WHERE packet_id = ?1");
        _clearLedger = Prepare("DELETE FROM ack_ledger");
        _markAcked = Prepare("UPDATE ack_ledger SET acked = 1 WHERE packet_id = ?1 AND seq = ?2");
        _forgetAcknowledged = Prepare("DELETE FROM ack_ledger WHERE qos = 1 AND acked = 1");
        _insertQuarantine = Prepare("INSERT INTO quarantine(topic, payload, reason, received_at_ms) VALUES(?1, ?2, ?3, ?4)");
    }

    /// <summary>Starts the batch transaction, rolling back first if a failed commit left one open.</summary>
    public void Begin()
    {
        RollbackIfOpen();
        StepDone(_begin);
    }

    public void Commit() => StepDone(_commit);

    /// <summary>Best effort: SQLite may already have rolled back by itself after SQLITE_FULL or an I/O error.</summary>
    public void RollbackIfOpen()
    {
        if (raw.sqlite3_get_autocommit(_db) == 0)
        {
            raw.sqlite3_step(_rollback);
            raw.sqlite3_reset(_rollback);
        }
    }

    /// <summary>The id of the series for <paramref name="topic"/>, creating it when new.</summary>
    public long GetOrCreateSeries(string topic, out bool created)
    {
        raw.sqlite3_bind_text(_insertSeries, 1, topic);
        StepDone(_insertSeries);
        if (raw.sqlite3_changes(_db) == 1)
        {
            created = true;
            return raw.sqlite3_last_insert_rowid(_db);
        }

        created = false;
        raw.sqlite3_bind_text(_selectSeries, 1, topic);
        try
        {
            var rc = raw.sqlite3_step(_selectSeries);
            if (rc != raw.SQLITE_ROW)
            {
                throw Error(rc, "series lookup");
            }

            return raw.sqlite3_column_int64(_selectSeries, 0);
        }
        finally
        {
            raw.sqlite3_reset(_selectSeries);
        }
    }

    /// <summary>Inserts one message. Every message is a row: content is never a key.</summary>
    public void InsertMessage(long seriesId, in IngestRecord record)
    {
        var s = _insertMessage;
        raw.sqlite3_bind_int64(s, 1, seriesId);
        raw.sqlite3_bind_int64(s, 2, record.ReceivedAtUnixMs);
        BindNullable(s, 3, record.DeviceTimestampUnixMs);
        BindNullable(s, 4, record.DeviceSequence);
        raw.sqlite3_bind_int64(s, 5, record.Qos);
        raw.sqlite3_bind_int64(s, 6, record.Retain ? 1 : 0);
        BindPayload(s, 7, record.Payload.Span);
        StepDone(s);
    }

    /// <summary>The ledger record of <paramref name="packetId"/>, or null.</summary>
    public LedgerRecord? Find(ushort packetId)
    {
        var s = _selectLedger;
        raw.sqlite3_bind_int64(s, 1, packetId);
        try
        {
            var rc = raw.sqlite3_step(s);
            return rc switch
            {
                raw.SQLITE_ROW => new LedgerRecord((byte)raw.sqlite3_column_int64(s, 0), raw.sqlite3_column_int64(s, 1), raw.sqlite3_column_int64(s, 2) != 0),
                raw.SQLITE_DONE => null,
                _ => throw Error(rc, "ack ledger lookup"),
            };
        }
        finally
        {
            raw.sqlite3_reset(s);
        }
    }

    /// <summary>Records (or replaces) a packet id committed in this transaction, not acknowledged, at position <paramref name="seq"/>.</summary>
    public void Record(ushort packetId, byte qos, long seq, long recordedAtUnixMs)
    {
        raw.sqlite3_bind_int64(_recordLedger, 1, packetId);
        raw.sqlite3_bind_int64(_recordLedger, 2, qos);
        raw.sqlite3_bind_int64(_recordLedger, 3, seq);
        raw.sqlite3_bind_int64(_recordLedger, 4, recordedAtUnixMs);
        StepDone(_recordLedger);
    }

    /// <summary>Marks a QoS 1 record as acknowledged (its PUBACK is about to go out); a replaced record is left alone.</summary>
    public void MarkAcked(ushort packetId, long seq)
    {
        raw.sqlite3_bind_int64(_markAcked, 1, packetId);
        raw.sqlite3_bind_int64(_markAcked, 2, seq);
        StepDone(_markAcked);
    }

    public void Forget(ushort packetId)
    {
        raw.sqlite3_bind_int64(_forgetLedger, 1, packetId);
        StepDone(_forgetLedger);
    }

    public void ForgetAll() => StepDone(_clearLedger);

    /// <summary>Deletes every QoS 1 record whose PUBACK was released.</summary>
    public void ForgetAcknowledged() => StepDone(_forgetAcknowledged);

    public void InsertQuarantine(in IngestRecord record)
    {
        raw.sqlite3_bind_text(_insertQuarantine, 1, record.Topic);
        BindPayload(_insertQuarantine, 2, record.Payload.Span);
        raw.sqlite3_bind_text(_insertQuarantine, 3, record.QuarantineReason ?? string.Empty);
        raw.sqlite3_bind_int64(_insertQuarantine, 4, record.ReceivedAtUnixMs);
        StepDone(_insertQuarantine);
    }

    public void Dispose()
    {
        _begin.Dispose();
        _commit.Dispose();
        _rollback.Dispose();
        _insertSeries.Dispose();
        _selectSeries.Dispose();
        _insertMessage.Dispose();
        _insertQuarantine.Dispose();
        _selectLedger.Dispose();
        _recordLedger.Dispose();
        _forgetLedger.Dispose();
        _clearLedger.Dispose();
        _markAcked.Dispose();
        _forgetAcknowledged.Dispose();
    }

    private static void BindNullable(sqlite3_stmt statement, int index, long? value)
    {
        if (value is { } v)
        {
            raw.sqlite3_bind_int64(statement, index, v);
        }
        else
        {
            raw.sqlite3_bind_null(statement, index);
        }
    }

    // An empty span would bind NULL (no pointer), which payload NOT NULL rejects: bind an empty blob instead.
    private static void BindPayload(sqlite3_stmt statement, int index, ReadOnlySpan<byte> payload)
    {
        if (payload.IsEmpty)
        {
            raw.sqlite3_bind_zeroblob(statement, index, 0);
        }
        else
        {
            raw.sqlite3_bind_blob(statement, index, payload);
        }
    }

    private void StepDone(sqlite3_stmt statement)
    {
        var rc = raw.sqlite3_step(statement);
        if (rc != raw.SQLITE_DONE)
        {
            var error = Error(rc, "step");
            raw.sqlite3_reset(statement);
            throw error;
        }

        raw.sqlite3_reset(statement);
    }

    private sqlite3_stmt Prepare(string sql)
    {
        var rc = raw.sqlite3_prepare_v2(_db, sql, out var statement);
        if (rc != raw.SQLITE_OK)
        {
            statement?.Dispose();
            throw Error(rc, "prepare");
        }

        return statement;
    }

    private SqliteException Error(int rc, string operation) =>
        new($"SQLite error {rc} during {operation}: {raw.sqlite3_errmsg(_db).utf8_to_string()}", rc, raw.sqlite3_extended_errcode(_db));
}

/// <summary>One row of <c>ack_ledger</c>: the QoS, the commit position and whether its QoS 1 PUBACK was released.</summary>
internal readonly record struct LedgerRecord(byte Qos, long Seq, bool Acked);
