using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using SQLitePCL;

namespace EdgeStore.Storage;

/// <summary>
/// Versioned schema changes through <c>PRAGMA user_version</c>. Each step runs in its own transaction
/// together with the version bump, so a crash leaves the file at the previous version, never half-way.
/// A file newer than <see cref="LatestVersion"/> is refused. Every step keeps every row and is linear in the
/// table size; a step announces itself with the row count before it starts and reports progress while it runs.
/// </summary>
internal static class SchemaMigrator
{
    public const int LatestVersion = 5;

    /// <summary>How often a long-running step says it is still working.</summary>
    internal static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(5);

    private static readonly (int Version, string Description, Action<SqliteConnection, SqliteTransaction> Apply)[] Steps =
    [
        (1, "series, messages and quarantine tables", ApplyVersion1),
        (2, "series/time and quarantine time indexes", ApplyVersion2),
        (3, "redelivery recognised by the broker's packet ids (ack ledger); content keys removed", ApplyVersion3),
        (4, "the uplink's forwarding cursors", ApplyVersion4),
        (5, "the readings view for sqlite3 users", ApplyVersion5),
    ];

    public static int ReadVersion(SqliteConnection connection) =>
        (int)SqliteConnectionFactory.ExecuteInt64(connection, "PRAGMA user_version");

    /// <summary>Refuses files newer than this build knows; returns the version found.</summary>
    public static int EnsureSupported(SqliteConnection connection, string path)
    {
        var version = ReadVersion(connection);
        if (version > LatestVersion)
        {
            throw new UnsupportedSchemaVersionException(path, version, LatestVersion);
        }

        return version;
    }

    /// <summary>
    /// Brings the database from its current version to <paramref name="targetVersion"/> (tests stop early), reporting each
    /// step to <paramref name="progress"/> when it starts and every <see cref="ProgressInterval"/> while it runs. When
    /// <paramref name="cancellationToken"/> is cancelled (the daemon got SIGTERM) the running statement is interrupted
    /// within SQLite's next progress check, the step's transaction rolls back, leaving the file at the version of the last
    /// completed step, and <see cref="OperationCanceledException"/> is thrown.
    /// </summary>
    public static int Migrate(
        SqliteConnection connection,
        string path,
        ILogger logger,
        int targetVersion = LatestVersion,
        IProgress<MigrationProgress>? progress = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(targetVersion, LatestVersion);
        var version = EnsureSupported(connection, path);
        foreach (var (stepVersion, description, apply) in Steps)
        {
            if (stepVersion <= version || stepVersion > targetVersion)
            {
                continue;
            }

            cancellationToken.ThrowIfCancellationRequested();
            var rows = version == 0 ? 0 : SqliteConnectionFactory.ExecuteInt64(connection, "SELECT count(*) FROM messages");
            StorageLog.Migrating(logger, path, version, stepVersion, rows, description);
            var clock = Stopwatch.StartNew();
            var fromVersion = version;
            void Report() => progress?.Report(new MigrationProgress(fromVersion, stepVersion, description, rows, clock.Elapsed));
            Report();
            try
            {
                using var stopRequested = cancellationToken.Register(() => StorageLog.MigrationStopRequested(logger, path, stepVersion));
                using (new ProgressHandler(connection.Handle!, cancellationToken, () =>
                       {
                           StorageLog.MigrationProgress(logger, path, stepVersion, rows, clock.Elapsed.TotalSeconds);
                           Report();
                       }))
                using (var transaction = connection.BeginTransaction(deferred: false))
                {
                    apply(connection, transaction);
                    Execute(connection, transaction, $"PRAGMA user_version={stepVersion}");
                    transaction.Commit();
                }
            }
            catch (SqliteException e) when (e.SqliteErrorCode == raw.SQLITE_INTERRUPT && cancellationToken.IsCancellationRequested)
            {
                // The interrupted statement ended the transaction and disposing it rolled back whatever was left: the
                // file is as the previous step left it.
                StorageLog.MigrationStopped(logger, path, fromVersion, stepVersion, clock.Elapsed.TotalSeconds);
                throw new OperationCanceledException($"stopped while migrating {path} to schema version {stepVersion}", e, cancellationToken);
            }

            version = stepVersion;
            StorageLog.Migrated(logger, path, stepVersion, description, clock.Elapsed.TotalSeconds);
        }

        return version;
    }

    private static void ApplyVersion1(SqliteConnection connection, SqliteTransaction transaction)
    {
        Execute(connection, transaction, """
            CREATE TABLE series(
                id INTEGER PRIMARY KEY,
                topic TEXT NOT NULL UNIQUE);
            CREATE TABLE messages(
                id INTEGER PRIMARY KEY,
                series_id INTEGER NOT NULL REFERENCES series(id),
                received_at_ms INTEGER NOT NULL,
                device_ts_ms INTEGER NULL,
                device_seq INTEGER NULL,
                qos INTEGER NOT NULL,
                retain INTEGER NOT NULL,
                payload BLOB NOT NULL);
            CREATE TABLE quarantine(
                id INTEGER PRIMARY KEY,
                topic TEXT NOT NULL,
                payload BLOB NOT NULL,
                reason TEXT NOT NULL,
                received_at_ms INTEGER NOT NULL);
            """);
    }

    /// <summary>
    /// Indexes for "series + time range" reads and for quarantine by time. (EdgeStore 0.1 also built content keys here
    /// and deleted look-alike rows; that step dropped genuine readings and no longer runs. Files it migrated carry its
    /// columns and indexes, which version 3 removes.)
    /// </summary>
    private static void ApplyVersion2(SqliteConnection connection, SqliteTransaction transaction)
    {
        Execute(connection, transaction, """
            CREATE INDEX IF NOT EXISTS ix_messages_series_time ON messages(series_id, received_at_ms);
            CREATE INDEX IF NOT EXISTS ix_quarantine_received ON quarantine(received_at_ms);
            """);
    }

    /// <summary>
    /// Payload content is never a key: the unique indexes on (series, seq[, ts]) and (series, second, payload hash)
    /// dropped genuine readings (a steady sensor, a device whose counter restarted) and go, with their columns.
    /// Redeliveries are recognised instead by the broker's packet ids, kept in <c>ack_ledger</c> in the same transaction
    /// as the rows: <c>seq</c> is the order EdgeStore committed them in (the order the broker sent them), <c>acked</c>
    /// says a QoS 1 PUBACK was released for it (see BatchWriter). Every row is kept; dropping a column is one pass over
    /// the table.
    /// </summary>
    private static void ApplyVersion3(SqliteConnection connection, SqliteTransaction transaction)
    {
        Execute(connection, transaction, """
            DROP INDEX IF EXISTS ux_messages_device_seq_ts;
            DROP INDEX IF EXISTS ux_messages_device_seq;
            DROP INDEX IF EXISTS ux_messages_content;
            CREATE TABLE ack_ledger(
                packet_id INTEGER PRIMARY KEY CHECK (packet_id BETWEEN 1 AND 65535),
                qos INTEGER NOT NULL CHECK (qos IN (1, 2)),
                seq INTEGER NOT NULL,
                acked INTEGER NOT NULL DEFAULT 0 CHECK (acked IN (0, 1)),
                recorded_at_ms INTEGER NOT NULL);
            """);
        foreach (var column in (string[])["payload_hash", "hash_collision"])
        {
            if (HasColumn(connection, transaction, "messages", column))
            {
                Execute(connection, transaction, $"ALTER TABLE messages DROP COLUMN {column}");
            }
        }
    }

    /// <summary>
    /// Where the uplink has forwarded to, per table: every row with an id at or below <c>forwarded_through</c> was
    /// acknowledged by the upstream broker. A missing row means nothing was forwarded yet. Row ids only grow (retention
    /// keeps the newest row of a table, see RetentionSweep), so a cursor never points past a row stored later.
    /// </summary>
    private static void ApplyVersion4(SqliteConnection connection, SqliteTransaction transaction)
    {
        Execute(connection, transaction, """
            CREATE TABLE uplink_cursor(
                stream TEXT PRIMARY KEY CHECK (stream IN ('messages', 'quarantine')),
                forwarded_through INTEGER NOT NULL CHECK (forwarded_through >= 0),
                updated_at_ms INTEGER NOT NULL) WITHOUT ROWID;
            """);
    }

    /// <summary>
    /// A view for people who read the file with the sqlite3 shell (docs/SCHEMA.md): one row per stored message with
    /// its topic, times as ISO-8601 UTC text beside the milliseconds, and the payload as text. SQL cannot check UTF-8,
    /// so <c>payload_text</c> is NULL only for payloads holding a zero byte (binary, which the shell would cut short);
    /// <c>edgestore query</c> is the strict reader. A view stores nothing: the step is instant whatever the table size,
    /// and EdgeStore itself never reads through it.
    /// </summary>
    private static void ApplyVersion5(SqliteConnection connection, SqliteTransaction transaction)
    {
        Execute(connection, transaction, """
            CREATE VIEW readings AS
            SELECT
                m.id AS id,
                s.topic AS topic,
                strftime('%Y-%m-%dT%H:%M:%fZ', m.received_at_ms / 1000.0, 'unixepoch') AS received_at,
                m.received_at_ms AS received_at_ms,
                strftime('%Y-%m-%dT%H:%M:%fZ', m.device_ts_ms / 1000.0, 'unixepoch') AS device_ts,
                m.device_ts_ms AS device_ts_ms,
                m.device_seq AS device_seq,
                m.qos AS qos,
                m.retain AS retain,
                CASE WHEN instr(m.payload, x'00') = 0 THEN CAST(m.payload AS TEXT) END AS payload_text,
                m.payload AS payload
            FROM messages AS m JOIN series AS s ON s.id = m.series_id;
            """);
    }

    private static bool HasColumn(SqliteConnection connection, SqliteTransaction transaction, string table, string column)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = $"SELECT count(*) FROM pragma_table_info('{table}') WHERE name = $column";
        command.Parameters.AddWithValue("$column", column);
        return (long)command.ExecuteScalar()! > 0;
    }

    private static void Execute(SqliteConnection connection, SqliteTransaction transaction, string sql)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    /// <summary>
    /// SQLite calls the handler every <see cref="StepsBetweenChecks"/> virtual-machine steps of a long statement (an
    /// index build, a table rewrite): it says "still migrating" every <see cref="ProgressInterval"/>, so an operator
    /// watching a large database sees progress rather than one silent line, and it returns non-zero once a stop was
    /// requested, which makes SQLite abandon the statement with SQLITE_INTERRUPT.
    /// </summary>
    private sealed class ProgressHandler : IDisposable
    {
        // A few milliseconds of work between checks: a stop is noticed promptly and the check costs nothing measurable.
        private const int StepsBetweenChecks = 100_000;
        private readonly sqlite3 _db;
        private readonly CancellationToken _cancellationToken;
        private readonly Action _report;
        private readonly Stopwatch _sinceReport = Stopwatch.StartNew();

        public ProgressHandler(sqlite3 db, CancellationToken cancellationToken, Action report)
        {
            _db = db;
            _cancellationToken = cancellationToken;
            _report = report;
            raw.sqlite3_progress_handler(_db, StepsBetweenChecks, OnProgress, null);
        }

        public void Dispose() => raw.sqlite3_progress_handler(_db, 0, null, null);

        private int OnProgress(object user_data)
        {
            if (_cancellationToken.IsCancellationRequested)
            {
                return 1; // interrupt: the statement fails with SQLITE_INTERRUPT
            }

            if (_sinceReport.Elapsed >= ProgressInterval)
            {
                _report();
                _sinceReport.Restart();
            }

            return 0; // go on
        }
    }
}
