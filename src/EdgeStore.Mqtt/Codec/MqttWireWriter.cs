using System.Buffers.Binary;
using System.Text;

namespace EdgeStore.Mqtt.Codec;

/// <summary>Writes MQTT data types into a span sized beforehand with the matching Size methods.</summary>
internal ref struct MqttWireWriter
{
    private readonly Span<byte> _span;
    private int _position;

    public MqttWireWriter(Span<byte> span)
    {
        _span = span;
        _position = 0;
    }

    public readonly int Position => _position;

    public static int VariableByteIntegerSize(uint value) => value switch
    {
        < 128 => 1,
        < 16_384 => 2,
        < 2_097_152 => 3,
        _ => 4,
    };

    public static int StringSize(string value) => 2 + Encoding.UTF8.GetByteCount(value);

    public static int BinarySize(ReadOnlyMemory<byte> value) => 2 + value.Length;

    public void WriteByte(byte value) => _span[_position++] = value;

    public void WriteUInt16(ushort value)
    {
        BinaryPrimitives.WriteUInt16BigEndian(_span[_position..], value);
        _position += 2;
    }

    public void WriteUInt32(uint value)
    {
        BinaryPrimitives.WriteUInt32BigEndian(_span[_position..], value);
        _position += 4;
    }

    public void WriteVariableByteInteger(uint value)
    {
        do
        {
            var b = (byte)(value & 0x7F);
            value >>= 7;
            if (value > 0)
            {
                b |= 0x80;
            }

            _span[_position++] = b;
        }
        while (value > 0);
    }

    public void WriteString(string value)
    {
        var length = Encoding.UTF8.GetBytes(value, _span[(_position + 2)..]);
        BinaryPrimitives.WriteUInt16BigEndian(_span[_position..], checked((ushort)length));
        _position += 2 + length;
    }

    public void WriteBinary(ReadOnlySpan<byte> value)
    {
        WriteUInt16(checked((ushort)value.Length));
        WriteBytes(value);
    }

    public void WriteBytes(ReadOnlySpan<byte> value)
    {
        value.CopyTo(_span[_position..]);
        _position += value.Length;
    }
}
