using Microsoft.Data.Sqlite;

namespace EdgeStore.Storage.Maintenance;

/// <summary>
/// Deletes old rows in chunks, each its own short IMMEDIATE transaction, so the writer connection
/// (which runs these while the batch writer is paused at a boundary) is never held for long.
/// Rows are picked in rowid order: old rows sit at the start of the table, so a chunk reads only
/// what it deletes, without an index on received_at_ms.
/// </summary>
public static class RetentionSweep
{
    /// <summary>Deletes up to <paramref name="maxRows"/> messages received before <paramref name="cutoffUnixMs"/>; returns how many.</summary>
    public static Task<int> DeleteMessagesOlderThanAsync(SqliteConnection connection, long cutoffUnixMs, int maxRows, CancellationToken ct) =>
        DeleteChunkAsync(connection, "messages", cutoffUnixMs, maxRows, ct);

    /// <summary>Deletes up to <paramref name="maxRows"/> quarantined payloads received before <paramref name="cutoffUnixMs"/>.</summary>
    public static Task<int> DeleteQuarantineOlderThanAsync(SqliteConnection connection, long cutoffUnixMs, int maxRows, CancellationToken ct) =>
        DeleteChunkAsync(connection, "quarantine", cutoffUnixMs, maxRows, ct);

    /// <summary>Deletes the <paramref name="maxRows"/> oldest messages whatever their age (disk policy DeleteOldest).</summary>
    public static async Task<int> DeleteOldestMessagesAsync(SqliteConnection connection, int maxRows, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(connection);
        using var transaction = connection.BeginTransaction(deferred: false);
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "DELETE FROM messages WHERE id IN (SELECT id FROM messages ORDER BY id LIMIT $n)";
        command.Parameters.AddWithValue("$n", maxRows);
        var deleted = await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        transaction.Commit();
        return deleted;
    }

    private static async Task<int> DeleteChunkAsync(SqliteConnection connection, string table, long cutoffUnixMs, int maxRows, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(connection);
        using var transaction = connection.BeginTransaction(deferred: false);
        using var command = connection.CreateCommand();
        command.Transaction = transaction;

        // The table name is one of two constants above, never input.
        command.CommandText = $"DELETE FROM {table} WHERE id IN (SELECT id FROM {table} WHERE received_at_ms < $cutoff ORDER BY id LIMIT $n)";
        command.Parameters.AddWithValue("$cutoff", cutoffUnixMs);
        command.Parameters.AddWithValue("$n", maxRows);
        var deleted = await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        transaction.Commit();
        return deleted;
    }
}
