using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace EdgeStore.Storage;

/// <summary>
/// Versioned schema changes through <c>PRAGMA user_version</c>. Each step runs in its own transaction
/// together with the version bump, so a crash leaves the file at the previous version, never half-way.
/// A file newer than <see cref="LatestVersion"/> is refused.
/// </summary>
internal static class SchemaMigrator
{
    public const int LatestVersion = 2;

    private static readonly (int Version, string Description, Action<SqliteConnection, SqliteTransaction> Apply)[] Steps =
    [
        (1, "series, messages and quarantine tables", ApplyVersion1),
        (2, "idempotency keys and series/time indexes", ApplyVersion2),
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

    /// <summary>Brings the database from its current version to <paramref name="targetVersion"/> (tests stop early).</summary>
    public static int Migrate(SqliteConnection connection, string path, ILogger logger, int targetVersion = LatestVersion)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(targetVersion, LatestVersion);
        var version = EnsureSupported(connection, path);
        foreach (var (stepVersion, description, apply) in Steps)
        {
            if (stepVersion <= version || stepVersion > targetVersion)
            {
                continue;
            }

            using (var transaction = connection.BeginTransaction(deferred: false))
            {
                apply(connection, transaction);
                Execute(connection, transaction, $"PRAGMA user_version={stepVersion}");
                transaction.Commit();
            }

            version = stepVersion;
            StorageLog.Migrated(logger, path, stepVersion, description);
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
    /// The idempotency key (docs/ARCHITECTURE.md, Storage), exact wherever it can be:
    /// - with a device sequence: (series, device_seq, device_ts_ms), or (series, device_seq) when the payload
    ///   has no timestamp. A redelivery (same seq, same ts) is dropped; a device that restarted its sequence
    ///   reports new timestamps and is stored.
    /// - without one: (series, receive second, payload_hash, hash_collision). payload_hash narrows the check;
    ///   the writer compares the payload bytes on a conflict and gives a genuinely different payload the next
    ///   hash_collision slot, so a hash collision never drops a message.
    /// Duplicates stored while version 1 had no key are removed (keeping the first copy) before the unique
    /// indexes are built.
    /// </summary>
    private static void ApplyVersion2(SqliteConnection connection, SqliteTransaction transaction)
    {
        connection.CreateFunction<byte[], long>("edgestore_payload_hash", static payload => PayloadHash.Compute(payload), isDeterministic: true);
        Execute(connection, transaction, """
            ALTER TABLE messages ADD COLUMN payload_hash INTEGER NULL;
            ALTER TABLE messages ADD COLUMN hash_collision INTEGER NOT NULL DEFAULT 0;
            UPDATE messages SET payload_hash = edgestore_payload_hash(payload) WHERE device_seq IS NULL;
            CREATE INDEX ix_messages_series_time ON messages(series_id, received_at_ms);
            DELETE FROM messages WHERE device_seq IS NOT NULL AND device_ts_ms IS NOT NULL AND id NOT IN (
                SELECT min(id) FROM messages WHERE device_seq IS NOT NULL AND device_ts_ms IS NOT NULL
                GROUP BY series_id, device_seq, device_ts_ms);
            DELETE FROM messages WHERE device_seq IS NOT NULL AND device_ts_ms IS NULL AND id NOT IN (
                SELECT min(id) FROM messages WHERE device_seq IS NOT NULL AND device_ts_ms IS NULL
                GROUP BY series_id, device_seq);
            DELETE FROM messages WHERE device_seq IS NULL AND id NOT IN (
                SELECT min(id) FROM messages WHERE device_seq IS NULL
                GROUP BY series_id, received_at_ms / 1000, payload);
            UPDATE messages SET hash_collision = (
                SELECT count(*) FROM messages AS earlier
                WHERE earlier.series_id = messages.series_id
                  AND earlier.received_at_ms / 1000 = messages.received_at_ms / 1000
                  AND earlier.device_seq IS NULL
                  AND earlier.payload_hash = messages.payload_hash
                  AND earlier.id < messages.id)
            WHERE device_seq IS NULL;
            CREATE UNIQUE INDEX ux_messages_device_seq_ts ON messages(series_id, device_seq, device_ts_ms)
                WHERE device_seq IS NOT NULL AND device_ts_ms IS NOT NULL;
            CREATE UNIQUE INDEX ux_messages_device_seq ON messages(series_id, device_seq)
                WHERE device_seq IS NOT NULL AND device_ts_ms IS NULL;
            CREATE UNIQUE INDEX ux_messages_content ON messages(series_id, received_at_ms / 1000, payload_hash, hash_collision)
                WHERE device_seq IS NULL;
            CREATE INDEX ix_quarantine_received ON quarantine(received_at_ms);
            """);
    }

    private static void Execute(SqliteConnection connection, SqliteTransaction transaction, string sql)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
