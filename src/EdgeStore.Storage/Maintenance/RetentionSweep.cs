using EdgeStore.Storage.Forwarding;
using Microsoft.Data.Sqlite;

namespace EdgeStore.Storage.Maintenance;

/// <summary>What retention and the disk guard do with rows the uplink has not forwarded yet.</summary>
public enum UnforwardedRows
{
    /// <summary>No uplink forwards this table: rows are deleted by age alone.</summary>
    NotForwarded,

    /// <summary>Rows beyond the table's forwarding cursor are kept, whatever their age.</summary>
    Keep,

    /// <summary>Rows beyond the cursor may be deleted (the operator allowed it); each one is counted.</summary>
    DropAndCount,
}

/// <summary>How many rows one chunk deleted, and how many of them had not been forwarded upstream.</summary>
public readonly record struct RetentionChunk(int Deleted, int UnforwardedDeleted);

/// <summary>
/// Deletes old rows in chunks, each its own short IMMEDIATE transaction, so the writer connection
/// (which runs these while the batch writer is paused at a boundary) is never held for long.
/// Rows are picked in rowid order: old rows sit at the start of the table, so a chunk reads only
/// what it deletes, without an index on received_at_ms.
/// The newest row of a table is never deleted: SQLite gives a new row the largest id plus one, so deleting the newest
/// row would let ids go back and be reused, and the uplink's cursor and upstream consumers (who drop redeliveries by
/// row id) rely on an id naming one row forever.
/// </summary>
public static class RetentionSweep
{
    /// <summary>Deletes up to <paramref name="maxRows"/> messages received before <paramref name="cutoffUnixMs"/>.</summary>
    public static Task<RetentionChunk> DeleteMessagesOlderThanAsync(SqliteConnection connection, long cutoffUnixMs, int maxRows, UnforwardedRows unforwarded, CancellationToken ct) =>
        DeleteChunkAsync(connection, ForwardStream.Messages, "received_at_ms < $cutoff", cutoffUnixMs, maxRows, unforwarded, ct);

    /// <summary>Deletes up to <paramref name="maxRows"/> quarantined payloads received before <paramref name="cutoffUnixMs"/>.</summary>
    public static Task<RetentionChunk> DeleteQuarantineOlderThanAsync(SqliteConnection connection, long cutoffUnixMs, int maxRows, UnforwardedRows unforwarded, CancellationToken ct) =>
        DeleteChunkAsync(connection, ForwardStream.Quarantine, "received_at_ms < $cutoff", cutoffUnixMs, maxRows, unforwarded, ct);

    /// <summary>Deletes the <paramref name="maxRows"/> oldest messages whatever their age (disk policy DeleteOldest).</summary>
    public static Task<RetentionChunk> DeleteOldestMessagesAsync(SqliteConnection connection, int maxRows, UnforwardedRows unforwarded, CancellationToken ct) =>
        DeleteChunkAsync(connection, ForwardStream.Messages, "1", 0, maxRows, unforwarded, ct);

    private static async Task<RetentionChunk> DeleteChunkAsync(
        SqliteConnection connection, ForwardStream stream, string condition, long cutoffUnixMs, int maxRows, UnforwardedRows unforwarded, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxRows);
        var table = ForwardingRows.Table(stream);
        using var transaction = connection.BeginTransaction(deferred: false);
        var cursor = unforwarded == UnforwardedRows.NotForwarded ? long.MaxValue : ForwardingRows.ReadCursor(connection, stream);

        // The chunk: old rows in id order, never the newest row, and (when kept) never a row beyond the cursor.
        // The table name and the condition are constants of this class, never input.
        var chunk = $"""
            SELECT id FROM {table}
            WHERE {condition} AND id < (SELECT max(id) FROM {table}){(unforwarded == UnforwardedRows.Keep ? " AND id <= $cursor" : string.Empty)}
            ORDER BY id LIMIT $n
            """;
        var unforwardedDeleted = 0;
        if (unforwarded == UnforwardedRows.DropAndCount)
        {
            unforwardedDeleted = (int)await ScalarAsync(connection, transaction, $"SELECT count(*) FROM ({chunk}) WHERE id > $cursor", cutoffUnixMs, maxRows, cursor, ct).ConfigureAwait(false);
        }

        using var command = Command(connection, transaction, $"DELETE FROM {table} WHERE id IN ({chunk})", cutoffUnixMs, maxRows, cursor);
        var deleted = await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        transaction.Commit();
        return new RetentionChunk(deleted, unforwardedDeleted);
    }

    private static async Task<long> ScalarAsync(SqliteConnection connection, SqliteTransaction transaction, string sql, long cutoff, int maxRows, long cursor, CancellationToken ct)
    {
        using var command = Command(connection, transaction, sql, cutoff, maxRows, cursor);
        return (long)(await command.ExecuteScalarAsync(ct).ConfigureAwait(false))!;
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction transaction, string sql, long cutoff, int maxRows, long cursor)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        if (sql.Contains("$cutoff", StringComparison.Ordinal))
        {
            command.Parameters.AddWithValue("$cutoff", cutoff);
        }

        command.Parameters.AddWithValue("$n", maxRows);
        if (sql.Contains("$cursor", StringComparison.Ordinal))
        {
            command.Parameters.AddWithValue("$cursor", cursor);
        }

        return command;
    }
}
