using System.Globalization;
using EdgeStore.Storage;

namespace EdgeStore.Query;

/// <summary>Writes query results to a text stream in one of the formats of `edgestore query --format`.</summary>
internal abstract class QueryOutput
{
    public abstract void Write(StoredMessage message);

    /// <summary>Writes whatever is still buffered. Returns the number of rows written in all.</summary>
    public abstract long Complete();

    public static QueryOutput Create(QueryOutputFormat format, TextWriter writer) => format switch
    {
        QueryOutputFormat.Csv => new CsvQueryOutput(writer),
        QueryOutputFormat.Jsonl => new JsonLinesQueryOutput(writer),
        _ => new TableQueryOutput(writer),
    };

    /// <summary>Every time in query output: UTC, ISO-8601, millisecond precision (`2026-05-01T12:00:00.000Z`).</summary>
    public static string FormatTime(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
