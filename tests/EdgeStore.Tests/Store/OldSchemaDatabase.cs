using EdgeStore.Storage;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeStore.Tests.Store;

/// <summary>
/// A database file as an earlier EdgeStore left it: schema <c>version</c>, built by the migrator's own steps up to that
/// version, with <c>rows</c> messages over 100 series written by one INSERT…SELECT from a recursive CTE (a million rows in
/// a few seconds). With <c>contentKeys</c> the file carries what EdgeStore 0.1's version 2 added (the payload-hash columns,
/// filled, and the content-key indexes), which version 3 removes. Used by the start-up end-to-end tests and compiled into
/// bench/EdgeStore.Bench.Migration.
/// </summary>
internal static class OldSchemaDatabase
{
    public const int Series = 100;

    public static void Create(string path, int version, long rows, bool contentKeys = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(version, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        if (contentKeys && version != 2)
        {
            throw new ArgumentException("content keys exist only in files at schema version 2", nameof(contentKeys));
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        connection.Open();
        Execute(connection, "PRAGMA journal_mode=WAL");
        SchemaMigrator.Migrate(connection, path, NullLogger.Instance, targetVersion: 1);
        if (contentKeys)
        {
            Execute(connection, """
                ALTER TABLE messages ADD COLUMN payload_hash INTEGER NULL;
                ALTER TABLE messages ADD COLUMN hash_collision INTEGER NOT NULL DEFAULT 0;
                """);
        }

        Execute(connection, $"""
            WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < {Series})
            INSERT INTO series(id, topic) SELECT i, printf('sensors/dev-%04d/telemetry', i) FROM s;
            """);
        Execute(connection, $$"""
            WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < {{rows}} - 1)
            INSERT INTO messages(series_id, received_at_ms, device_ts_ms, device_seq, qos, retain, payload)
            SELECT 1 + i % {{Series}}, 1767225600000 + i * 10, 1767225600000 + i * 10 - 5, i / {{Series}}, 1, 0,
                   CAST(printf('{"seq":%d,"temperature":%.1f,"humidity":%.1f}', i / {{Series}}, 20 + (i % 100) / 10.0, 40 + (i % 300) / 10.0) AS BLOB)
            FROM s WHERE {{rows}} > 0;
            """);
        if (contentKeys)
        {
            Execute(connection, "UPDATE messages SET payload_hash = (id * 2654435761) % 4294967296");
        }

        SchemaMigrator.Migrate(connection, path, NullLogger.Instance, targetVersion: version);
        if (contentKeys)
        {
            // Not unique here: the real ones were, and refused genuine readings; the migration drops them either way.
            Execute(connection, """
                CREATE INDEX ux_messages_device_seq_ts ON messages(series_id, device_seq, device_ts_ms);
                CREATE INDEX ux_messages_content ON messages(series_id, received_at_ms / 1000, payload_hash, hash_collision);
                """);
        }

        Execute(connection, "PRAGMA wal_checkpoint(TRUNCATE)");
    }

    /// <summary>The schema version and message count of the file, read on a connection of its own.</summary>
    public static (int Version, long Rows) Inspect(string path)
    {
        using var connection = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT (SELECT user_version FROM pragma_user_version), (SELECT count(*) FROM messages)";
        using var reader = command.ExecuteReader();
        reader.Read();
        return (reader.GetInt32(0), reader.GetInt64(1));
    }

    private static void Execute(SqliteConnection connection, string sql)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
