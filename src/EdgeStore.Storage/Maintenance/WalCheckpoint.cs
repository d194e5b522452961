using Microsoft.Data.Sqlite;

namespace EdgeStore.Storage.Maintenance;

/// <summary>Runs `PRAGMA wal_checkpoint(MODE)` and returns its result row, busy flag included.</summary>
public static class WalCheckpoint
{
    public static async Task<CheckpointOutcome> RunAsync(SqliteConnection connection, CheckpointMode mode, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(connection);
        using var command = connection.CreateCommand();
        command.CommandText = mode switch
        {
            CheckpointMode.Passive => "PRAGMA wal_checkpoint(PASSIVE)",
            CheckpointMode.Full => "PRAGMA wal_checkpoint(FULL)",
            CheckpointMode.Restart => "PRAGMA wal_checkpoint(RESTART)",
            CheckpointMode.Truncate => "PRAGMA wal_checkpoint(TRUNCATE)",
            _ => throw new ArgumentOutOfRangeException(nameof(mode)),
        };
        using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        if (!await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            return new CheckpointOutcome(true, -1, -1);
        }

        return new CheckpointOutcome(reader.GetInt64(0) != 0, reader.GetInt64(1), reader.GetInt64(2));
    }
}
