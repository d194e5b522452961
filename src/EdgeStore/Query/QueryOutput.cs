namespace EdgeStore.Query;

/// <summary>
/// Writes rows of cells to a text stream in one of the formats of `--format` (query, topics, quarantine): the columns
/// are fixed when it is created, and each row has one cell per column.
/// </summary>
internal abstract class QueryOutput
{
    protected QueryOutput(IReadOnlyList<OutputColumn> columns)
    {
        Columns = columns;
    }

    public IReadOnlyList<OutputColumn> Columns { get; }

    public abstract void Write(IReadOnlyList<OutputCell> cells);

    /// <summary>Writes whatever is still buffered. Returns the number of rows written in all.</summary>
    public abstract long Complete();

    public static QueryOutput Create(QueryOutputFormat format, TextWriter writer, IReadOnlyList<OutputColumn> columns) => format switch
    {
        QueryOutputFormat.Csv => new CsvQueryOutput(writer, columns),
        QueryOutputFormat.Jsonl => new JsonLinesQueryOutput(writer, columns),
        _ => new TableQueryOutput(writer, columns),
    };
}
