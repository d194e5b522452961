using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using EdgeStore.Storage;

namespace EdgeStore.Query;

/// <summary>
/// One JSON object per line, in the shape the command-line contract fixes:
/// `{"id":1,"topic":"..","receivedAt":"ISO","deviceTs":"ISO"|null,"seq":N|null,"qos":1,"retain":false,"payload":".."}`.
/// </summary>
internal sealed class JsonLinesQueryOutput : QueryOutput
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly TextWriter _writer;
    private readonly ArrayBufferWriter<byte> _buffer = new(1024);
    private long _rows;

    public JsonLinesQueryOutput(TextWriter writer)
    {
        _writer = writer;
    }

    public override void Write(StoredMessage message)
    {
        _buffer.ResetWrittenCount();
        using (var json = new Utf8JsonWriter(_buffer, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteNumber("id"u8, message.Id);
            json.WriteString("topic"u8, message.Topic);
            json.WriteString("receivedAt"u8, FormatTime(message.ReceivedAt));
            if (message.DeviceTimestamp is { } deviceTimestamp)
            {
                json.WriteString("deviceTs"u8, FormatTime(deviceTimestamp));
            }
            else
            {
                json.WriteNull("deviceTs"u8);
            }

            if (message.DeviceSequence is { } sequence)
            {
                json.WriteNumber("seq"u8, sequence);
            }
            else
            {
                json.WriteNull("seq"u8);
            }

            json.WriteNumber("qos"u8, message.Qos);
            json.WriteBoolean("retain"u8, message.Retain);
            json.WriteString("payload"u8, PayloadText.Of(message.Payload));
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
