using Microsoft.Data.Sqlite;

namespace EdgeStore.Storage.Forwarding;

/// <summary>The two tables the uplink forwards from, each with its own cursor.</summary>
public enum ForwardStream
{
    /// <summary>Stored telemetry (<c>messages</c> joined with <c>series</c> for the topic).</summary>
    Messages,

    /// <summary>Quarantined payloads, forwarded only when the operator asks for them.</summary>
    Quarantine,
}

/// <summary>One stored row as the uplink forwards it. <see cref="Reason"/> is set for quarantined rows only.</summary>
public sealed record ForwardRow(long Id, string Topic, byte[] Payload, long ReceivedAtMs, string? Reason)
{
    /// <summary>The row's series (0 for quarantined rows, which keep their topic as text).</summary>
    public long SeriesId { get; init; }
}

/// <summary>How many rows wait beyond a cursor, and when the oldest of them was received (null when none wait).</summary>
public readonly record struct ForwardBacklog(long Rows, long? OldestReceivedAtMs);

/// <summary>
/// The uplink's reads and its cursor (schema version 4, table <c>uplink_cursor</c>). Rows are read in id order after
/// the cursor; the cursor is the id through which every row was acknowledged upstream and only ever moves forward.
/// Row ids only grow, because retention and the disk guard keep the newest row of each table (see
/// <see cref="Maintenance.RetentionSweep"/>), so a row stored later always has an id above every cursor.
/// </summary>
public static class ForwardingRows
{
    /// <summary>The cursor of <paramref name="stream"/>: 0 when nothing was forwarded yet.</summary>
    public static long ReadCursor(SqliteConnection connection, ForwardStream stream)
    {
        ArgumentNullException.ThrowIfNull(connection);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT forwarded_through FROM uplink_cursor WHERE stream = $stream";
        command.Parameters.AddWithValue("$stream", Name(stream));
        return command.ExecuteScalar() is long through ? through : 0;
    }

    /// <summary>
    /// Moves the cursor of <paramref name="stream"/> forward to <paramref name="forwardedThrough"/> in its own
    /// transaction (never backward: a lower value leaves it where it is). Returns the cursor afterwards.
    /// </summary>
    public static long CommitCursor(SqliteConnection connection, ForwardStream stream, long forwardedThrough, long nowUnixMs)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentOutOfRangeException.ThrowIfNegative(forwardedThrough);
        using var transaction = connection.BeginTransaction(deferred: false);
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            INSERT INTO uplink_cursor(stream, forwarded_through, updated_at_ms) VALUES($stream, $through, $now)
            ON CONFLICT(stream) DO UPDATE SET
                forwarded_through = max(forwarded_through, excluded.forwarded_through),
                updated_at_ms = excluded.updated_at_ms
            RETURNING forwarded_through
            """;
        command.Parameters.AddWithValue("$stream", Name(stream));
        command.Parameters.AddWithValue("$through", forwardedThrough);
        command.Parameters.AddWithValue("$now", nowUnixMs);
        var result = (long)command.ExecuteScalar()!;
        transaction.Commit();
        return result;
    }

    /// <summary>
    /// Appends up to <paramref name="limit"/> rows with an id above <paramref name="afterId"/>, in id order; returns how
    /// many. <paramref name="topics"/> caches series topics across calls (a series' topic never changes), so a row
    /// costs no join and no new topic string.
    /// </summary>
    public static int ReadBatch(SqliteConnection connection, ForwardStream stream, long afterId, int limit, List<ForwardRow> into, Dictionary<long, string>? topics = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(into);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        using var command = connection.CreateCommand();
        command.CommandText = stream == ForwardStream.Messages
            ? "SELECT id, series_id, payload, received_at_ms, NULL FROM messages WHERE id > $after ORDER BY id LIMIT $limit"
            : "SELECT id, topic, payload, received_at_ms, reason FROM quarantine WHERE id > $after ORDER BY id LIMIT $limit";
        command.Parameters.AddWithValue("$after", afterId);
        command.Parameters.AddWithValue("$limit", limit);
        topics ??= [];
        var count = 0;
        using (var reader = command.ExecuteReader())
        {
            while (reader.Read())
            {
                string? topic = null;
                var seriesId = 0L;
                if (stream == ForwardStream.Messages)
                {
                    seriesId = reader.GetInt64(1);
                    topics.TryGetValue(seriesId, out topic);
                }
                else
                {
                    topic = reader.GetString(1);
                }

                into.Add(new ForwardRow(
                    reader.GetInt64(0),
                    topic ?? string.Empty,
                    (byte[])reader.GetValue(2),
                    reader.GetInt64(3),
                    reader.IsDBNull(4) ? null : reader.GetString(4))
                {
                    SeriesId = seriesId,
                });
                count++;
            }
        }

        // Topics of series not seen before, one lookup each.
        for (var i = into.Count - count; i < into.Count; i++)
        {
            var row = into[i];
            if (row.Topic.Length == 0 && stream == ForwardStream.Messages)
            {
                if (!topics.TryGetValue(row.SeriesId, out var topic))
                {
                    topic = SeriesTopic(connection, row.SeriesId);
                    topics[row.SeriesId] = topic;
                }

                into[i] = row with { Topic = topic };
            }
        }

        return count;
    }

    private static string SeriesTopic(SqliteConnection connection, long seriesId)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT topic FROM series WHERE id = $id";
        command.Parameters.AddWithValue("$id", seriesId);
        return command.ExecuteScalar() as string ?? throw new InvalidOperationException($"series {seriesId} has no topic");
    }

    /// <summary>
    /// The rows beyond <paramref name="afterId"/> and the receive time of the first of them, from the rowid b-tree only
    /// (no scan): the count is the id distance, exact because ids are dense at the new end of a table (rows are only
    /// ever deleted from the old end, and only through the cursor unless the operator allows dropping unforwarded rows).
    /// </summary>
    public static ForwardBacklog ReadBacklog(SqliteConnection connection, ForwardStream stream, long afterId)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var table = Table(stream);
        using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT (SELECT max(id) FROM {table}),
                   (SELECT id FROM {table} WHERE id > $after ORDER BY id LIMIT 1),
                   (SELECT received_at_ms FROM {table} WHERE id > $after ORDER BY id LIMIT 1)
            """;
        command.Parameters.AddWithValue("$after", afterId);
        using var reader = command.ExecuteReader();
        reader.Read();
        if (reader.IsDBNull(1))
        {
            return new ForwardBacklog(0, null);
        }

        var rows = reader.GetInt64(0) - reader.GetInt64(1) + 1;
        return new ForwardBacklog(rows, reader.GetInt64(2));
    }

    public static string Name(ForwardStream stream) => stream == ForwardStream.Messages ? "messages" : "quarantine";

    // The table names are these two constants, never input.
    internal static string Table(ForwardStream stream) => stream == ForwardStream.Messages ? "messages" : "quarantine";
}
