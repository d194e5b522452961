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
    private readonly sqlite3_stmt _selectSameSecondPayloads;
    private readonly sqlite3_stmt _insertQuarantine;

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
            INSERT INTO messages(series_id, received_at_ms, device_ts_ms, device_seq, qos, retain, payload, payload_hash, hash_collision)
            VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) ON CONFLICT DO NOTHING
            """);
        // Same expression as ux_messages_content, so the lookup uses that index.
        _selectSameSecondPayloads = Prepare("""
            SELECT payload, hash_collision FROM messages
            WHERE series_id = ?1 AND received_at_ms / 1000 = ?2 AND payload_hash = ?3 AND device_seq IS NULL
            """);
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

    /// <summary>Inserts one message with conflict-ignore; returns false when its idempotency key is already stored.</summary>
    public bool InsertMessage(long seriesId, in IngestRecord record)
    {
        var payload = record.Payload.Span;
        if (record.DeviceSequence is not null)
        {
            return TryInsert(seriesId, record, payload, payloadHash: null, collisionSlot: 0);
        }

        var hash = PayloadHash.Compute(payload);
        if (TryInsert(seriesId, record, payload, hash, collisionSlot: 0))
        {
            return true;
        }

        // Same series, second and hash: a redelivery when the bytes are equal, else a real hash collision,
        // which takes the next free slot so it is stored too.
        var slot = NextCollisionSlot(seriesId, record.ReceivedAtUnixMs / 1000, hash, payload);
        if (slot < 0)
        {
            return false;
        }

        HashCollisions++;
        LastCollision = (seriesId, hash, slot);
        return TryInsert(seriesId, record, payload, hash, slot);
    }

    /// <summary>Genuine hash collisions met so far (different payloads; both stored).</summary>
    public long HashCollisions { get; private set; }

    public (long SeriesId, long Hash, long Slot) LastCollision { get; private set; }

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
        _selectSameSecondPayloads.Dispose();
        _insertQuarantine.Dispose();
    }

    private bool TryInsert(long seriesId, in IngestRecord record, ReadOnlySpan<byte> payload, long? payloadHash, long collisionSlot)
    {
        var s = _insertMessage;
        raw.sqlite3_bind_int64(s, 1, seriesId);
        raw.sqlite3_bind_int64(s, 2, record.ReceivedAtUnixMs);
        BindNullable(s, 3, record.DeviceTimestampUnixMs);
        BindNullable(s, 4, record.DeviceSequence);
        raw.sqlite3_bind_int64(s, 5, record.Qos);
        raw.sqlite3_bind_int64(s, 6, record.Retain ? 1 : 0);
        BindPayload(s, 7, payload);
        BindNullable(s, 8, payloadHash);
        raw.sqlite3_bind_int64(s, 9, collisionSlot);
        StepDone(s);
        return raw.sqlite3_changes(_db) == 1;
    }

    // -1 when an identical payload is already stored; otherwise the first unused collision slot.
    private long NextCollisionSlot(long seriesId, long receivedSecond, long hash, ReadOnlySpan<byte> payload)
    {
        var s = _selectSameSecondPayloads;
        raw.sqlite3_bind_int64(s, 1, seriesId);
        raw.sqlite3_bind_int64(s, 2, receivedSecond);
        raw.sqlite3_bind_int64(s, 3, hash);
        try
        {
            long nextSlot = 0;
            int rc;
            while ((rc = raw.sqlite3_step(s)) == raw.SQLITE_ROW)
            {
                if (raw.sqlite3_column_blob(s, 0).SequenceEqual(payload))
                {
                    return -1;
                }

                nextSlot = Math.Max(nextSlot, raw.sqlite3_column_int64(s, 1) + 1);
            }

            if (rc != raw.SQLITE_DONE)
            {
                throw Error(rc, "payload comparison");
            }

            return nextSlot;
        }
        finally
        {
            raw.sqlite3_reset(s);
        }
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
