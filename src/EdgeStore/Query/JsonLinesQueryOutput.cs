using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace EdgeStore.Query;

/// <summary>
/// One JSON object per line, one property per column: numbers and booleans as JSON numbers and booleans, no value as
/// null, JSON objects and arrays embedded as JSON (never as an escaped string).
/// </summary>
internal sealed class JsonLinesQueryOutput : QueryOutput
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly TextWriter _writer;
    private readonly ArrayBufferWriter<byte> _buffer = new(1024);
    private long _rows;

    public JsonLinesQueryOutput(TextWriter writer, IReadOnlyList<OutputColumn> columns)
        : base(columns)
    {
        _writer = writer;
    }

    public override void Write(IReadOnlyList<OutputCell> cells)
    {
        _buffer.ResetWrittenCount();
        using (var json = new Utf8JsonWriter(_buffer, WriterOptions))
        {
            json.WriteStartObject();
            for (var i = 0; i < cells.Count; i++)
            {
                var cell = cells[i];
                json.WritePropertyName(Columns[i].JsonName);
                switch (cell.Kind)
                {
                    case OutputCellKind.Null:
                        json.WriteNullValue();
                        break;
                    case OutputCellKind.Number:
                        json.WriteRawValue(cell.Text);
                        break;
                    case OutputCellKind.Boolean:
                        json.WriteBooleanValue(cell.Text == "true");
                        break;
                    case OutputCellKind.Json:
                        json.WriteRawValue(cell.Json ?? cell.Text);
                        break;
                    default:
                        json.WriteStringValue(cell.Text);
                        break;
                }
            }

            json.WriteEndObject();
        }

        _writer.Write(Encoding.UTF8.GetString(_buffer.WrittenSpan));
        _writer.Write('\n');
        _rows++;
    }

    public override long Complete()
    {
        _writer.Flush();
        return _rows;
    }
}
