using Microsoft.Data.Sqlite;

namespace EdgeStore.Storage.Maintenance;

/// <summary>quick_check, returning "ok" or the first problems SQLite reports.</summary>
public static class DatabaseCheck
{
    public static Task<string> QuickCheckAsync(SqliteConnection connection, CancellationToken ct) =>
        RunAsync(connection, "PRAGMA quick_check(20)", ct);

    private static async Task<string> RunAsync(SqliteConnection connection, string sql, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(connection);
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var lines = new List<string>();
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            lines.Add(reader.GetString(0));
        }

        return lines.Count == 0 ? "no result" : string.Join("; ", lines);
    }
}
