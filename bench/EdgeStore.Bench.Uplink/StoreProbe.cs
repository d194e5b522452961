using Microsoft.Data.Sqlite;

namespace EdgeStore.Bench.Uplink;

/// <summary>
/// Reads the daemon's database from outside as any other process must: read-only, mmap_size=0, no pooling.
/// Missing file or tables read as zero. (The queries of bench/EdgeStore.Bench.Ingest's StoreProbe.)
/// </summary>
internal sealed class StoreProbe(string databasePath)
{
    /// <summary>The highest message id: the row count while nothing is deleted, and cheap enough to poll every 50 ms.</summary>
    public long HighestId() => Scalar("SELECT IFNULL(MAX(id), 0) FROM messages");

    public long Rows() => Scalar("SELECT COUNT(*) FROM messages");

    /// <summary>When the daemon received its first stored message (Unix ms), or null.</summary>
    public long? FirstReceivedUnixMs()
    {
        var value = Scalar("SELECT IFNULL(MIN(received_at_ms), 0) FROM messages");
        return value == 0 ? null : value;
    }

    private long Scalar(string sql)
    {
        if (!File.Exists(databasePath))
        {
            return 0;
        }

        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = databasePath,
            Mode = SqliteOpenMode.ReadOnly,
            Pooling = false,
            DefaultTimeout = 30,
        };
        using var connection = new SqliteConnection(builder.ToString());
        connection.Open();
        using (var pragma = connection.CreateCommand())
        {
            pragma.CommandText = "PRAGMA mmap_size=0; PRAGMA busy_timeout=30000;";
            pragma.ExecuteNonQuery();
        }

        using var command = connection.CreateCommand();
        command.CommandText = sql;
        try
        {
            return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (SqliteException e) when (e.Message.Contains("no such table", StringComparison.Ordinal))
        {
            return 0;
        }
    }
}
