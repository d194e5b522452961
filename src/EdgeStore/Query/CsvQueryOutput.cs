using System.Globalization;
using EdgeStore.Storage;

namespace EdgeStore.Query;

/// <summary>
/// RFC 4180 CSV: a header line, CRLF line ends, and fields that hold a comma, a double quote, CR or LF enclosed in
/// double quotes with inner quotes doubled. Empty fields stand for "no value" (no device timestamp or sequence).
/// </summary>
internal sealed class CsvQueryOutput : QueryOutput
{
    private const string LineEnd = "\r\n";

    private readonly TextWriter _writer;
    private long _rows;

    public CsvQueryOutput(TextWriter writer)
    {
        _writer = writer;
        _writer.Write("id,topic,received_at,device_ts,seq,qos,retain,payload" + LineEnd);
    }

    public override void Write(StoredMessage message)
    {
        _writer.Write(message.Id.ToString(CultureInfo.InvariantCulture));
        _writer.Write(',');
        WriteField(message.Topic);
        _writer.Write(',');
        _writer.Write(FormatTime(message.ReceivedAt));
        _writer.Write(',');
        if (message.DeviceTimestamp is { } deviceTimestamp)
        {
            _writer.Write(FormatTime(deviceTimestamp));
        }

        _writer.Write(',');
        if (message.DeviceSequence is { } sequence)
        {
            _writer.Write(sequence.ToString(CultureInfo.InvariantCulture));
        }

        _writer.Write(',');
        _writer.Write(message.Qos.ToString(CultureInfo.InvariantCulture));
        _writer.Write(',');
        _writer.Write(message.Retain ? "true" : "false");
        _writer.Write(',');
        WriteField(PayloadText.Of(message.Payload));
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

    private void WriteField(string field) => _writer.Write(Escape(field));
}
