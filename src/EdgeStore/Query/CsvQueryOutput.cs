namespace EdgeStore.Query;

/// <summary>
/// RFC 4180 CSV: a header line, CRLF line ends, and fields that hold a comma, a double quote, CR or LF enclosed in
/// double quotes with inner quotes doubled. Empty fields stand for "no value"; numbers are written bare.
/// </summary>
internal sealed class CsvQueryOutput : QueryOutput
{
    private const string LineEnd = "\r\n";

    private readonly TextWriter _writer;
    private long _rows;

    public CsvQueryOutput(TextWriter writer, IReadOnlyList<OutputColumn> columns)
        : base(columns)
    {
        _writer = writer;
        _writer.Write(string.Join(',', columns.Select(c => Escape(c.CsvName))) + LineEnd);
    }

    public override void Write(IReadOnlyList<OutputCell> cells)
    {
        for (var i = 0; i < cells.Count; i++)
        {
            if (i > 0)
            {
                _writer.Write(',');
            }

            var cell = cells[i];
            _writer.Write(cell.Kind switch
            {
                OutputCellKind.Null => string.Empty,
                OutputCellKind.Number or OutputCellKind.Boolean => cell.Text,
                _ => Escape(cell.Text),
            });
        }

        _writer.Write(LineEnd);
        _rows++;
    }

    public override long Complete()
    {
        _writer.Flush();
        return _rows;
    }

    /// <summary>The RFC 4180 form of one field.</summary>
    public static string Escape(string field) =>
        field.AsSpan().IndexOfAny(",\"\r\n") >= 0 ? "\"" + field.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : field;
}
