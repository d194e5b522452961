using EdgeStore.Storage;

namespace EdgeStore.Query;

/// <summary>
/// Stored messages as `edgestore query` prints them without `--field`: every stored fact of a message, in the shape
/// the command-line contract fixes (JSON lines:
/// `{"id":1,"topic":"..","receivedAt":"ISO","deviceTs":"ISO"|null,"seq":N|null,"qos":1,"retain":false,"payload":..}`,
/// the payload embedded as JSON when it is a JSON object or array, else its text).
/// </summary>
internal sealed class MessageRows
{
    public static readonly IReadOnlyList<OutputColumn> Columns =
    [
        new("ID", "id", "id", RightAligned: true),
        new("TOPIC", "topic", "topic"),
        new("RECEIVED AT", "received_at", "receivedAt"),
        new("DEVICE TS", "device_ts", "deviceTs"),
        new("SEQ", "seq", "seq", RightAligned: true),
        new("QOS", "qos", "qos", RightAligned: true),
        new("RETAIN", "retain", "retain"),
        new("PAYLOAD", "payload", "payload"),
    ];

    private readonly OutputTime _time;
    private readonly bool _embedJsonPayloads;

    public MessageRows(OutputTime time, bool embedJsonPayloads)
    {
        _time = time;
        _embedJsonPayloads = embedJsonPayloads;
    }

    public OutputCell[] Cells(StoredMessage message) =>
    [
        OutputCell.Of(message.Id),
        OutputCell.Of(message.Topic),
        _time.Cell(message.ReceivedAt),
        _time.Cell(message.DeviceTimestamp),
        message.DeviceSequence is { } sequence ? OutputCell.Of(sequence) : OutputCell.Null,
        OutputCell.Of(message.Qos),
        OutputCell.Of(message.Retain),
        PayloadText.Cell(message.Payload, _embedJsonPayloads),
    ];
}
