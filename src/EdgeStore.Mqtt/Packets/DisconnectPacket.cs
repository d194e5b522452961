using System.Buffers;
using EdgeStore.Mqtt.Codec;

namespace EdgeStore.Mqtt.Packets;

/// <summary>DISCONNECT (both directions in MQTT 5; client only in 3.1.1): reason code and properties in MQTT 5.</summary>
internal sealed class DisconnectPacket : MqttPacket
{
    public override MqttPacketType Type => MqttPacketType.Disconnect;

    public byte ReasonCode { get; init; }

    public MqttProperties Properties;

    public static DisconnectPacket Read(ref SequenceReader<byte> reader, MqttProtocolVersion version)
    {
        byte reason = 0;
        var properties = default(MqttProperties);
        if (version == MqttProtocolVersion.V500 && !reader.End)
        {
            reason = MqttWireReader.ReadByte(ref reader, "disconnect reason code");
            if (reason is > 0 and < 0x80 and not 0x04)
            {
                throw new MqttProtocolException($"DISCONNECT reason code 0x{reason:X2} is not defined");
            }

            if (!reader.End)
            {
                properties = MqttProperties.Read(ref reader, MqttPropertyContext.Disconnect);
            }
        }

        MqttWireReader.ExpectEnd(ref reader, "DISCONNECT");
        return new DisconnectPacket { ReasonCode = reason, Properties = properties };
    }

    public int GetBodySize(MqttProtocolVersion version)
    {
        if (version != MqttProtocolVersion.V500)
        {
            return 0;
        }

        var propertiesSize = Properties.GetSize();
        return propertiesSize > 0 ? 1 + MqttWireWriter.VariableByteIntegerSize((uint)propertiesSize) + propertiesSize
            : ReasonCode != 0 ? 1
            : 0;
    }

    public void WriteBody(ref MqttWireWriter writer, MqttProtocolVersion version)
    {
        if (version != MqttProtocolVersion.V500)
        {
            return;
        }

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
