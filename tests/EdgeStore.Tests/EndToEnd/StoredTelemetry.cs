using System.Diagnostics;
using Microsoft.Data.Sqlite;
using EdgeStore.Testing;

namespace EdgeStore.Tests.EndToEnd;

/// <summary>
/// Reads a live EdgeStore database from outside, as any other process must (docs/ARCHITECTURE.md, C3): read-only, mmap_size=0,
/// no pooling (every handle is closed at once), through the documented schema names only
/// (series, messages, quarantine). Missing file or tables read as empty: the daemon may not have created them yet.
/// </summary>
public sealed class StoredTelemetry(string databasePath)
{
    public string DatabasePath { get; } = databasePath;

    public long MessageCount() => Scalar("SELECT COUNT(*) FROM messages");

    public long QuarantineCount() => Scalar("SELECT COUNT(*) FROM quarantine");

    /// <summary>Per topic: rows, distinct device sequences, and the lowest and highest sequence.</summary>
    public IReadOnlyList<SeriesSequences> Sequences()
    {
        const string sql = """
            SELECT s.topic, COUNT(*), COUNT(DISTINCT m.device_seq), MIN(m.device_seq), MAX(m.device_seq),
                   SUM(CASE WHEN m.device_seq IS NULL THEN 1 ELSE 0 END)
            FROM messages m JOIN series s ON s.id = m.series_id
            GROUP BY s.topic ORDER BY s.topic
            """;
        return Read(sql, r => new SeriesSequences(
            r.GetString(0),
            r.GetInt64(1),
            r.GetInt64(2),
            r.IsDBNull(3) ? null : r.GetInt64(3),
            r.IsDBNull(4) ? null : r.GetInt64(4),
            r.GetInt64(5)));
    }

    public IReadOnlyList<QuarantinedRow> Quarantined() =>
        Read("SELECT topic, payload, reason FROM quarantine ORDER BY id", r => new QuarantinedRow(
            r.GetString(0), (byte[])r.GetValue(1), r.GetString(2)));

    /// <summary>Payloads stored for one exact topic, in insertion order.</summary>
    public IReadOnlyList<byte[]> Payloads(string topic) =>
        Read(
            "SELECT m.payload FROM messages m JOIN series s ON s.id = m.series_id WHERE s.topic = $topic ORDER BY m.id",
            r => (byte[])r.GetValue(0),
            ("$topic", topic));

    /// <summary>
    /// Waits (bounded) until <paramref name="count"/> returns at least <paramref name="expected"/>; returns the last
    /// value read, also when the bound passed first: callers assert on it.
    /// </summary>
    public static async Task<long> WaitForAsync(Func<long> count, long expected, TimeSpan timeout)
    {
        try
        {
            return await Wait.ForAsync(count, value => value >= expected, timeout, $"at least {expected} rows");
        }
        catch (TimeoutException)
        {
            return count();
        }
    }

    public Task<long> WaitForMessagesAsync(long expected, TimeSpan timeout) => WaitForAsync(MessageCount, expected, timeout);

    /// <summary>
    /// Waits until the message count has not changed for <paramref name="quietFor"/> (the daemon has drained
    /// what it will store), bounded by <paramref name="timeout"/>; returns the count, also when the bound passed
    /// first: callers assert on it.
    /// </summary>
    public async Task<long> WaitForQuietAsync(TimeSpan quietFor, TimeSpan timeout)
    {
        var last = MessageCount();
        var unchanged = Stopwatch.StartNew();
        try
        {
            return await Wait.ForAsync(
                () =>
                {
                    var now = MessageCount();
                    if (now != last)
                    {
                        last = now;
                        unchanged.Restart();
                    }

                    return now;
                },
                _ => unchanged.Elapsed >= quietFor,
                timeout,
                $"the message count unchanged for {quietFor.TotalSeconds:0.#} s");
        }
        catch (TimeoutException)
        {
            return last;
        }
    }

    private long Scalar(string sql)
    {
        var values = Read(sql, r => r.GetInt64(0));
        return values.Count == 0 ? 0 : values[0];
    }

    private List<T> Read<T>(string sql, Func<SqliteDataReader, T> map, params (string Name, object Value)[] parameters)
    {
        var results = new List<T>();
        if (!File.Exists(DatabasePath))
        {
            return results;
        }

        var builder = new SqliteConnectionStringBuilder
        {
            DataSource = DatabasePath,
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
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        try
        {
            using var reader = command.ExecuteReader();
            while (reader.Read())
            {
                results.Add(map(reader));
            }
        }
        catch (SqliteException e) when (e.Message.Contains("no such table", StringComparison.Ordinal))
        {
            // The daemon has not migrated the schema yet: nothing stored.
        }

        return results;
    }
}

/// <summary>One topic's stored device sequences. Complete means exactly 1..Max, each once.</summary>
public sealed record SeriesSequences(string Topic, long Rows, long DistinctSequences, long? MinSequence, long? MaxSequence, long RowsWithoutSequence)
{
    public bool IsComplete => MinSequence == 1 && MaxSequence == Rows && DistinctSequences == Rows && RowsWithoutSequence == 0;
}

public sealed record QuarantinedRow(string Topic, byte[] Payload, string Reason);
