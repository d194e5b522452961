using Microsoft.Data.Sqlite;

namespace EdgeStore.Bench.Ingest;

/// <summary>
/// Reads the daemon's database from outside as any other process must: read-only, mmap_size=0, no pooling,
/// through the documented schema names. Missing file or tables read as zero. With <paramref name="minimal"/>, the
/// table of bench/EdgeStore.Bench.MqttNetStore: messages(id, topic, received_at_ms, qos, retain, payload), no series,
/// no decoded columns, no quarantine.
/// </summary>
internal sealed class StoreProbe(string databasePath, bool minimal = false)
{
    /// <summary>
    /// The highest message id: the row count while nothing is deleted (INSERT OR IGNORE does not consume ids),
    /// and, unlike COUNT(*), cheap enough to poll every 50 ms while the daemon writes.
    /// </summary>
    public long HighestId() => Scalar("SELECT IFNULL(MAX(id), 0) FROM messages");

    public long Rows() => Scalar("SELECT COUNT(*) FROM messages");

    /// <summary>Rows beyond the first for each (series, device sequence): a redelivery stored twice.</summary>
    public long Duplicates() => Scalar(minimal
        ? "SELECT IFNULL(SUM(n - 1), 0) FROM (SELECT COUNT(*) AS n FROM messages GROUP BY topic, json_extract(CAST(payload AS TEXT), '$.seq') HAVING n > 1)"
        : "SELECT IFNULL(SUM(n - 1), 0) FROM (SELECT COUNT(*) AS n FROM messages WHERE device_seq IS NOT NULL GROUP BY series_id, device_seq HAVING n > 1)");

    public long Quarantined() => minimal ? 0 : Scalar("SELECT COUNT(*) FROM quarantine");

    /// <summary>When EdgeStore received its first message on <paramref name="topic"/> (Unix ms), or null.</summary>
    public long? FirstReceivedUnixMs(string topic)
    {
        var value = Scalar($"SELECT IFNULL(MIN(m.received_at_ms), 0) FROM messages m JOIN series s ON s.id = m.series_id WHERE s.topic = '{topic.Replace("'", "''", StringComparison.Ordinal)}'");
        return value == 0 ? null : value;
    }

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
