using System.Buffers;
using EdgeStore.Mqtt.Packets;

namespace EdgeStore.Mqtt.Codec;

/// <summary>
/// Reads one PUBLISH larger than the maximum packet size through, without ever buffering it whole: it waits for the
/// fixed header, the variable header (topic, packet id, properties) and the first <c>prefixBytes</c> bytes of the
/// payload, decodes those into a message, then consumes and discards the rest of the payload as it streams in. The
/// message comes out only once the whole packet has gone by, so nothing (an acknowledgement included) can overtake
/// it on the wire. A refused poison message would come back on every reconnect and block everything behind it
/// (MQTT 3.1.1 cannot announce a maximum), so it is delivered, marked, for the consumer to quarantine.
/// Owned by one receive loop; not thread-safe.
/// </summary>
internal sealed class OversizePublishReader
{
    private readonly int _prefixBytes;
    private byte _flags;
    private int _headerLength;
    private int _remainingLength;
    private MqttApplicationMessage? _message;
    private long _toDiscard;

    public OversizePublishReader(int prefixBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(prefixBytes);
        _prefixBytes = prefixBytes;
    }

    /// <summary>True between <see cref="Begin"/> and the end of the packet: the next bytes belong to it.</summary>
    public bool InProgress => _remainingLength > 0;

    /// <summary>Starts on an oversize PUBLISH whose fixed header is at the start of the next buffer.</summary>
    public void Begin(byte first, int headerLength, int remainingLength)
    {
        _flags = (byte)(first & 0x0F);
        _headerLength = headerLength;
        _remainingLength = remainingLength;
        _message = null;
        _toDiscard = 0;
    }

    /// <summary>
    /// Continues the packet. False means "need more data": before the head is complete the buffer is left untouched;
    /// afterwards it is advanced past every byte discarded. True once the packet has ended, with the message.
    /// </summary>
    public bool TryContinue(ref ReadOnlySequence<byte> buffer, in MqttDecoderSettings settings, out MqttApplicationMessage? message)
    {
        message = null;
        if (_message is null && !TryReadHead(ref buffer, settings))
        {
            return false;
        }

        var discarded = Math.Min(buffer.Length, _toDiscard);
        buffer = buffer.Slice(discarded);
        _toDiscard -= discarded;
        if (_toDiscard > 0)
        {
            return false;
        }

        message = _message;
        _message = null;
        _remainingLength = 0;
        return true;
    }

    private bool TryReadHead(ref ReadOnlySequence<byte> buffer, in MqttDecoderSettings settings)
    {
        if (!TryGetVariableHeaderLength(buffer.Slice(Math.Min(buffer.Length, _headerLength)), settings.Version, out var variableHeaderLength))
        {
            return false;
        }

        if (variableHeaderLength > _remainingLength)
        {
            throw new MqttProtocolException(
                $"PUBLISH topic and properties take {variableHeaderLength} bytes, more than its remaining length of {_remainingLength}");
        }

        if ((long)_headerLength + variableHeaderLength > settings.MaximumPacketSizeBytes)
        {
            // Only the payload can be read through; a head this large would have to be buffered.
            throw new MqttProtocolException(
                $"PUBLISH topic and properties of {variableHeaderLength} bytes exceed the maximum packet size of {settings.MaximumPacketSizeBytes} bytes")
            {
                ReasonCode = 0x95,
            };
        }

        var payloadLength = _remainingLength - variableHeaderLength;
        var prefixLength = Math.Min(_prefixBytes, payloadLength);
        var headLength = (long)_headerLength + variableHeaderLength + prefixLength;
        if (buffer.Length < headLength)
        {
            return false;
        }

        var reader = new SequenceReader<byte>(buffer.Slice(_headerLength, variableHeaderLength + prefixLength));
        _message = PublishPacket.Read(ref reader, _flags, settings.Version, settings.Generation, settings.Topics, oversizeLength: payloadLength);
        _toDiscard = payloadLength - prefixLength;
        buffer = buffer.Slice(headLength);
        return true;
    }

    /// <summary>Length of topic, packet id and (MQTT 5) properties, read from their length fields alone.</summary>
    private bool TryGetVariableHeaderLength(in ReadOnlySequence<byte> body, MqttProtocolVersion version, out int length)
    {
        length = 0;
        var reader = new SequenceReader<byte>(body);
        if (!reader.TryReadBigEndian(out short topicLength))
        {
            return false;
        }

        var qos = (_flags >> 1) & 0x03;
        length = 2 + (ushort)topicLength + (qos == 0 ? 0 : 2);
        if (version != MqttProtocolVersion.V500)
        {
            return true;
        }

        if (reader.Remaining < length - 2)
        {
            return false;
        }

        reader.Advance(length - 2);

        var propertiesLength = 0;
        for (var i = 0; ; i++)
        {
            if (i == 4)
            {
                throw new MqttProtocolException("PUBLISH property length: variable byte integer longer than 4 bytes");
            }

            if (!reader.TryRead(out var b))
            {
                return false;
            }

            propertiesLength |= (b & 0x7F) << (7 * i);
            if ((b & 0x80) == 0)
            {
                length += i + 1 + propertiesLength;
                return true;
            }
        }
    }
}
