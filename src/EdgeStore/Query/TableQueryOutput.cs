using System.Globalization;
using System.Text;
using EdgeStore.Storage;

namespace EdgeStore.Query;

/// <summary>
/// Aligned columns for people. Column widths come from the first <see cref="WidthSampleRows"/> rows (so a long query
/// streams instead of being held in memory); a later, wider value simply pushes its line out. Payloads are shown on one
/// line (control characters escaped) and cut to <see cref="MaxPayloadChars"/> characters.
/// </summary>
internal sealed class TableQueryOutput : QueryOutput
{
    public const int WidthSampleRows = 1000;
    public const int MaxPayloadChars = 120;

    private static readonly string[] Header = ["ID", "TOPIC", "RECEIVED AT", "DEVICE TS", "SEQ", "QOS", "RETAIN", "PAYLOAD"];

    // Numbers are right-aligned, text left-aligned.
    private static readonly bool[] RightAligned = [true, false, false, false, true, true, false, false];

    private readonly TextWriter _writer;
    private readonly List<string[]> _pending = [];
    private int[]? _widths;
    private long _rows;

    public TableQueryOutput(TextWriter writer)
    {
        _writer = writer;
    }

    public override void Write(StoredMessage message)
    {
        var cells = new[]
        {
            message.Id.ToString(CultureInfo.InvariantCulture),
            message.Topic,
            FormatTime(message.ReceivedAt),
            message.DeviceTimestamp is { } deviceTimestamp ? FormatTime(deviceTimestamp) : "-",
            message.DeviceSequence?.ToString(CultureInfo.InvariantCulture) ?? "-",
            message.Qos.ToString(CultureInfo.InvariantCulture),
            message.Retain ? "yes" : "no",
            OneLine(PayloadText.Of(message.Payload)),
        };
        _rows++;
        if (_widths is null)
        {
            _pending.Add(cells);
            if (_pending.Count >= WidthSampleRows)
            {
                FlushPending();
            }

            return;
        }

        WriteLine(cells);
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

    /// <summary>The payload on one line: control characters escaped, long payloads cut with an ellipsis.</summary>
    public static string OneLine(string payload)
    {
        var builder = new StringBuilder(Math.Min(payload.Length, MaxPayloadChars + 8));
        foreach (var c in payload)
        {
            if (builder.Length >= MaxPayloadChars)
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
        _widths = Header.Select(h => h.Length).ToArray();
        foreach (var cells in _pending)
        {
            for (var i = 0; i < cells.Length; i++)
            {
                _widths[i] = Math.Max(_widths[i], cells[i].Length);
            }
        }

        WriteLine(Header);
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
            if (RightAligned[i])
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
