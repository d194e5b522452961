using System.Globalization;
using System.Text;

namespace EdgeStore.Query;

/// <summary>
/// Aligned columns for people. Column widths come from the first <see cref="WidthSampleRows"/> rows (so a long query
/// streams instead of being held in memory); a later, wider value simply pushes its line out. Text is shown on one
/// line (control characters escaped) and cut to <see cref="MaxTextChars"/> characters; no value shows as `-`.
/// </summary>
internal sealed class TableQueryOutput : QueryOutput
{
    public const int WidthSampleRows = 1000;
    public const int MaxTextChars = 120;

    private readonly TextWriter _writer;
    private readonly string[] _header;
    private readonly List<string[]> _pending = [];
    private int[]? _widths;
    private long _rows;

    public TableQueryOutput(TextWriter writer, IReadOnlyList<OutputColumn> columns)
        : base(columns)
    {
        _writer = writer;
        _header = [.. columns.Select(c => c.Title)];
    }

    public override void Write(IReadOnlyList<OutputCell> cells)
    {
        var shown = new string[cells.Count];
        for (var i = 0; i < cells.Count; i++)
        {
            var cell = cells[i];
            shown[i] = cell.Kind switch
            {
                OutputCellKind.Null => "-",
                OutputCellKind.Boolean => cell.Text == "true" ? "yes" : "no",
                OutputCellKind.Number => cell.Text,
                _ => OneLine(cell.Text),
            };
        }

        _rows++;
        if (_widths is null)
        {
            _pending.Add(shown);
            if (_pending.Count >= WidthSampleRows)
            {
                FlushPending();
            }

            return;
        }

        WriteLine(shown);
    }

    public override long Complete()
    {
        if (_widths is null)
        {
            FlushPending();
        }

        _writer.Flush();
        return _rows;
    }

    /// <summary>Text on one line: control characters escaped, long text cut with an ellipsis.</summary>
    public static string OneLine(string text)
    {
        var builder = new StringBuilder(Math.Min(text.Length, MaxTextChars + 8));
        foreach (var c in text)
        {
            if (builder.Length >= MaxTextChars)
            {
                builder.Append('…');
                break;
            }

            _ = c switch
            {
                '\n' => builder.Append("\\n"),
                '\r' => builder.Append("\\r"),
                '\t' => builder.Append("\\t"),
                _ when char.IsControl(c) => builder.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}"),
                _ => builder.Append(c),
            };
        }

        return builder.ToString();
    }

    private void FlushPending()
    {
        _widths = [.. _header.Select(h => h.Length)];
        foreach (var cells in _pending)
        {
            for (var i = 0; i < cells.Length; i++)
            {
                _widths[i] = Math.Max(_widths[i], cells[i].Length);
            }
        }

        WriteLine(_header);
        foreach (var cells in _pending)
        {
            WriteLine(cells);
        }

        _pending.Clear();
    }

    private void WriteLine(string[] cells)
    {
        var widths = _widths!;
        var line = new StringBuilder();
        for (var i = 0; i < cells.Length; i++)
        {
            if (i > 0)
            {
                line.Append("  ");
            }

            var last = i == cells.Length - 1;
            if (Columns[i].RightAligned)
            {
                line.Append(cells[i].PadLeft(widths[i]));
            }
            else
            {
                line.Append(last ? cells[i] : cells[i].PadRight(widths[i]));
            }
        }

        _writer.Write(line.ToString().TrimEnd());
        _writer.Write('\n');
    }
}
