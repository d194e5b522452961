using System.Buffers;
using EdgeStore.Mqtt.Codec;

namespace EdgeStore.Mqtt.Packets;

/// <summary>AUTH (MQTT 5 only): enhanced authentication exchange. The client never starts one; it decodes AUTH so a
/// broker that sends it gets a clear protocol error rather than a parse failure.</summary>
internal sealed class AuthPacket : MqttPacket
{
    public override MqttPacketType Type => MqttPacketType.Auth;

    public byte ReasonCode { get; init; }

    public MqttProperties Properties;

    public static AuthPacket Read(ref SequenceReader<byte> reader)
    {
        byte reason = 0;
        var properties = default(MqttProperties);
        if (!reader.End)
        {
            reason = MqttWireReader.ReadByte(ref reader, "authenticate reason code");
            if (reason is not (0x00 or 0x18 or 0x19))
            {
                throw new MqttProtocolException($"AUTH reason code 0x{reason:X2} is not defined");
            }

            if (!reader.End)
            {
                properties = MqttProperties.Read(ref reader, MqttPropertyContext.Auth);
            }
        }

        MqttWireReader.ExpectEnd(ref reader, "AUTH");
        return new AuthPacket { ReasonCode = reason, Properties = properties };
    }

    public int GetBodySize()
    {
        var propertiesSize = Properties.GetSize();
        return propertiesSize > 0 ? 1 + MqttWireWriter.VariableByteIntegerSize((uint)propertiesSize) + propertiesSize
            : ReasonCode != 0 ? 1
            : 0;
    }

    public void WriteBody(ref MqttWireWriter writer)
    {
        var propertiesSize = Properties.GetSize();
        if (propertiesSize > 0 || ReasonCode != 0)
        {
            writer.WriteByte(ReasonCode);
        }

        if (propertiesSize > 0)
        {
            Properties.Write(ref writer, propertiesSize);
        }
    }
}
