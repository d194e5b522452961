using Microsoft.Data.Sqlite;

namespace EdgeStore.Storage.Maintenance;

/// <summary>
/// A consistent copy of a live database through SQLite itself (`VACUUM INTO`), from a read-only
/// connection with mmap_size=0: safe while the daemon writes (it sees one snapshot under SQLite's
/// locks), and it never maps the file, so the daemon's maintenance cannot SIGBUS it (docs/ARCHITECTURE.md, C3).
/// The target must not exist: SQLite refuses to overwrite it, and so do we.
/// </summary>
public static class OnlineBackup
{
    public static async Task<long> VacuumIntoAsync(string sourcePath, string targetPath, CancellationToken ct)
    {
        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = sourcePath,
            Mode = SqliteOpenMode.ReadOnly,
            Pooling = false,
        };
        var connection = new SqliteConnection(builder.ToString());
        await using (connection.ConfigureAwait(false))
        {
            await connection.OpenAsync(ct).ConfigureAwait(false);
            using (var pragma = connection.CreateCommand())
            {
                pragma.CommandText = "PRAGMA mmap_size=0; PRAGMA busy_timeout=10000;";
                await pragma.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }

            using var command = connection.CreateCommand();
            command.CommandText = "VACUUM INTO $target";
            command.Parameters.AddWithValue("$target", Path.GetFullPath(targetPath));
            await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }

        return new FileInfo(targetPath).Length;
    }
}
