using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Data.Sqlite;

namespace EdgeStore.Storage;

/// <summary>
/// Reads stored telemetry through a small pool of read-only connections: at most ReaderPoolSize queries run at once,
/// so at most that many connections sit idle in the pool (each with its own mapping). A query resolves the topic
/// predicate over the series table first, then reads messages by series ids and time range through
/// ix_messages_series_time.
/// </summary>
public sealed class TelemetryReader
{
    /// <summary>
    /// The oldest schema this reader reads. Version 5 only added the <c>readings</c> view for sqlite3 users, which the
    /// reader does not use, so a version 4 file (an upgraded gateway whose daemon has not restarted yet) stays readable.
    /// </summary>
    public const int MinimumReadableVersion = 4;

    private const string SelectMessages = """
        SELECT id, series_id, received_at_ms, device_ts_ms, device_seq, qos, retain, payload FROM messages
        WHERE series_id IN (SELECT value FROM json_each($series))
        """;

    // Per-series totals read from ix_messages_series_time alone (it covers series_id and received_at_ms).
    private const string SelectTopics = """
        SELECT s.id, s.topic, count(m.id), min(m.received_at_ms), max(m.received_at_ms)
        FROM series AS s LEFT JOIN messages AS m ON m.series_id = s.id
        WHERE s.id IN (SELECT value FROM json_each($series))
        GROUP BY s.id
        ORDER BY s.topic
        """;

    private const string SelectQuarantine = """
        SELECT id, topic, received_at_ms, reason, payload FROM quarantine
        WHERE received_at_ms >= $since AND received_at_ms < $until
        """;

    private readonly Func<SqliteConnection> _openConnection;
    private readonly SemaphoreSlim _slots;

    internal TelemetryReader(Func<SqliteConnection> openConnection, int poolSize)
    {
        _openConnection = openConnection;
        _slots = new SemaphoreSlim(poolSize, poolSize);
    }

    /// <summary>
    /// For a separate process (<c>edgestore query</c>): every query opens a read-only connection with
    /// <c>mmap_size=0</c> (<see cref="SqliteConnectionFactory.OpenReadOnly"/>). Refuses a file that is not an
    /// EdgeStore database or is newer than this build.
    /// </summary>
    public static TelemetryReader OpenReadOnly(string path)
    {
        using (var connection = SqliteConnectionFactory.OpenReadOnly(path))
        {
            var version = SchemaMigrator.EnsureSupported(connection, path);
            if (version < MinimumReadableVersion)
            {
                throw new UnsupportedSchemaVersionException(
                    $"Database {path} has schema version {version}; it is not an EdgeStore database at version {MinimumReadableVersion} or later (the daemon migrates it when it opens it).");
            }
        }

        return new TelemetryReader(() => SqliteConnectionFactory.OpenReadOnly(path), poolSize: 1);
    }

    public async IAsyncEnumerable<StoredMessage> QueryAsync(TelemetryQuery query, [EnumeratorCancellation] CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(query);
        await _slots.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var connection = _openConnection();
            await using (connection.ConfigureAwait(false))
            {
                var topics = await MatchingSeriesAsync(connection, query.TopicMatches, ct).ConfigureAwait(false);
                if (topics.Count == 0)
                {
                    yield break;
                }

                var command = connection.CreateCommand();
                await using (command.ConfigureAwait(false))
                {
                    var order = query.Descending ? "DESC" : "ASC";

                    // By device time, rows without a device timestamp never match (NULL compares false) and are left
                    // out; no index covers device_ts_ms, so those reads scan the matching series' rows.
                    var time = query.ByDeviceTime ? "device_ts_ms" : "received_at_ms";
                    command.CommandText = string.Create(
                        CultureInfo.InvariantCulture,
                        $"{SelectMessages} AND {time} >= $since AND {time} < $until ORDER BY {time} {order}, id {order} LIMIT $limit");
                    command.Parameters.AddWithValue("$series", SeriesIdsJson(topics.Keys));
                    AddRange(command, query.Since, query.Until, query.Limit);
                    var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
                    await using (reader.ConfigureAwait(false))
                    {
                        while (await reader.ReadAsync(ct).ConfigureAwait(false))
                        {
                            yield return new StoredMessage(
                                reader.GetInt64(0),
                                topics[reader.GetInt64(1)],
                                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2)),
                                reader.IsDBNull(3) ? null : ToTimestamp(reader.GetInt64(3)),
                                reader.IsDBNull(4) ? null : reader.GetInt64(4),
                                (byte)reader.GetInt64(5),
                                reader.GetInt64(6) != 0,
                                reader.IsDBNull(7) ? [] : reader.GetFieldValue<byte[]>(7));
                        }
                    }
                }
            }
        }
        finally
        {
            _slots.Release();
        }
    }

    /// <summary>Every topic <paramref name="topicMatches"/> accepts, with its row count and first and last receive time, by topic.</summary>
    public async Task<IReadOnlyList<TopicSummary>> SummarizeTopicsAsync(Func<string, bool> topicMatches, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(topicMatches);
        await _slots.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var connection = _openConnection();
            await using (connection.ConfigureAwait(false))
            {
                var summaries = new List<TopicSummary>();
                var topics = await MatchingSeriesAsync(connection, topicMatches, ct).ConfigureAwait(false);
                if (topics.Count == 0)
                {
                    return summaries;
                }

                var command = connection.CreateCommand();
                await using (command.ConfigureAwait(false))
                {
                    command.CommandText = SelectTopics;
                    command.Parameters.AddWithValue("$series", SeriesIdsJson(topics.Keys));
                    var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
                    await using (reader.ConfigureAwait(false))
                    {
                        while (await reader.ReadAsync(ct).ConfigureAwait(false))
                        {
                            summaries.Add(new TopicSummary(
                                reader.GetString(1),
                                reader.GetInt64(2),
                                reader.IsDBNull(3) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3)),
                                reader.IsDBNull(4) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(4))));
                        }
                    }
                }

                return summaries;
            }
        }
        finally
        {
            _slots.Release();
        }
    }

    /// <summary>Quarantined messages in the query's receive-time range, ordered by receive time (then id).</summary>
    public async IAsyncEnumerable<QuarantinedMessage> QueryQuarantineAsync(QuarantineQuery query, [EnumeratorCancellation] CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(query);
        await _slots.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var connection = _openConnection();
            await using (connection.ConfigureAwait(false))
            {
                var command = connection.CreateCommand();
                await using (command.ConfigureAwait(false))
                {
                    var order = query.Descending ? "DESC" : "ASC";
                    command.CommandText = string.Create(CultureInfo.InvariantCulture, $"{SelectQuarantine} ORDER BY received_at_ms {order}, id {order} LIMIT $limit");
                    AddRange(command, query.Since, query.Until, query.Limit);
                    var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
                    await using (reader.ConfigureAwait(false))
                    {
                        while (await reader.ReadAsync(ct).ConfigureAwait(false))
                        {
                            yield return new QuarantinedMessage(
                                reader.GetInt64(0),
                                reader.GetString(1),
                                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2)),
                                reader.GetString(3),
                                reader.IsDBNull(4) ? [] : reader.GetFieldValue<byte[]>(4));
                        }
                    }
                }
            }
        }
        finally
        {
            _slots.Release();
        }
    }

    // The receive-time (or device-time) range and the row limit shared by the message and quarantine reads: an open end
    // is the whole range, no limit is -1 (SQLite's "no limit").
    private static void AddRange(SqliteCommand command, DateTimeOffset? since, DateTimeOffset? until, int? limit)
    {
        command.Parameters.AddWithValue("$since", since?.ToUnixTimeMilliseconds() ?? long.MinValue);
        command.Parameters.AddWithValue("$until", until?.ToUnixTimeMilliseconds() ?? long.MaxValue);
        command.Parameters.AddWithValue("$limit", limit is { } rows ? Math.Max(rows, 0) : -1);
    }

    public async Task<IReadOnlyList<SeriesInfo>> ListSeriesAsync(CancellationToken ct)
    {
        await _slots.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            var connection = _openConnection();
            await using (connection.ConfigureAwait(false))
            {
                var series = new List<SeriesInfo>();
                var command = connection.CreateCommand();
                await using (command.ConfigureAwait(false))
                {
                    command.CommandText = "SELECT id, topic FROM series ORDER BY topic";
                    var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
                    await using (reader.ConfigureAwait(false))
                    {
                        while (await reader.ReadAsync(ct).ConfigureAwait(false))
                        {
                            series.Add(new SeriesInfo(reader.GetInt64(0), reader.GetString(1)));
                        }
                    }
                }

                return series;
            }
        }
        finally
        {
            _slots.Release();
        }
    }

    private static async Task<Dictionary<long, string>> MatchingSeriesAsync(SqliteConnection connection, Func<string, bool> topicMatches, CancellationToken ct)
    {
        var matching = new Dictionary<long, string>();
        var command = connection.CreateCommand();
        await using (command.ConfigureAwait(false))
        {
            command.CommandText = "SELECT id, topic FROM series";
            var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    var topic = reader.GetString(1);
                    if (topicMatches(topic))
                    {
                        matching[reader.GetInt64(0)] = topic;
                    }
                }
            }
        }

        return matching;
    }

    private static string SeriesIdsJson(IEnumerable<long> ids)
    {
        var json = new StringBuilder("[");
        foreach (var id in ids)
        {
            if (json.Length > 1)
            {
                json.Append(',');
            }

            json.Append(id.ToString(CultureInfo.InvariantCulture));
        }

        return json.Append(']').ToString();
    }

    // A device clock can report anything; an unrepresentable timestamp reads as absent rather than failing the query.
    private static DateTimeOffset? ToTimestamp(long unixMs) =>
        unixMs is >= -62135596800000 and <= 253402300799999 ? DateTimeOffset.FromUnixTimeMilliseconds(unixMs) : null;
}

/// <summary>One series: a topic EdgeStore has stored messages for.</summary>
public sealed record SeriesInfo(long Id, string Topic);
