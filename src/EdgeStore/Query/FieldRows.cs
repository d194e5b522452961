using EdgeStore.Storage;

namespace EdgeStore.Query;

/// <summary>
/// Stored messages as `edgestore query --field` prints them: the time (received or the device's, per `--time`), the
/// topic, and one column per field path, named by the path. A field the payload does not have, or a payload that is
/// not a JSON object or array, gives no value.
/// </summary>
internal sealed class FieldRows
{
    private readonly OutputTime _time;
    private readonly QueryTimeBasis _basis;
    private readonly IReadOnlyList<JsonFieldPath> _fields;

    public FieldRows(OutputTime time, QueryTimeBasis basis, IReadOnlyList<JsonFieldPath> fields)
    {
        _time = time;
        _basis = basis;
        _fields = fields;
        Columns =
        [
            _basis == QueryTimeBasis.Device ? new("DEVICE TS", "device_ts", "deviceTs") : new("RECEIVED AT", "received_at", "receivedAt"),
            new("TOPIC", "topic", "topic"),
            .. fields.Select(f => new OutputColumn(f.Text, f.Text, f.Text)),
        ];
    }

    public IReadOnlyList<OutputColumn> Columns { get; }

    public OutputCell[] Cells(StoredMessage message)
    {
        var cells = new OutputCell[2 + _fields.Count];
        cells[0] = _time.Cell(_basis == QueryTimeBasis.Device ? message.DeviceTimestamp : message.ReceivedAt);
        cells[1] = OutputCell.Of(message.Topic);
        using var document = JsonPayload.TryParse(message.Payload);
        for (var i = 0; i < _fields.Count; i++)
        {
            cells[2 + i] = document is not null && _fields[i].Find(document.RootElement) is { } value ? JsonPayload.Cell(value) : OutputCell.Null;
        }

        return cells;
    }
}
