using System.Buffers;
using EdgeStore.Mqtt.Codec;

namespace EdgeStore.Mqtt.Packets;

/// <summary>CONNACK (broker to client): session present and the return code (3.1.1) or reason code (5.0).</summary>
internal sealed class ConnAckPacket : MqttPacket
{
    public override MqttPacketType Type => MqttPacketType.ConnAck;

    public bool SessionPresent { get; init; }

    /// <summary>3.1.1 return code (0-5) or MQTT 5 reason code (0 or >= 0x80).</summary>
    public byte ReasonCode { get; init; }

    public MqttProperties Properties;

    public static ConnAckPacket Read(ref SequenceReader<byte> reader, MqttProtocolVersion version)
    {
        var flags = MqttWireReader.ReadByte(ref reader, "connect acknowledge flags");
        if ((flags & 0xFE) != 0)
        {
            throw new MqttProtocolException($"CONNACK reserved flag bits are set (0x{flags:X2})");
        }

        var code = MqttWireReader.ReadByte(ref reader, "connect reason code");
        if (version == MqttProtocolVersion.V311 ? code > 5 : code is > 0 and < 0x80)
        {
            throw new MqttProtocolException($"CONNACK code 0x{code:X2} is not defined for {version}");
        }

        var properties = version == MqttProtocolVersion.V500 ? MqttProperties.Read(ref reader, MqttPropertyContext.ConnAck) : default;
        MqttWireReader.ExpectEnd(ref reader, "CONNACK");
        return new ConnAckPacket { SessionPresent = (flags & 0x01) != 0, ReasonCode = code, Properties = properties };
    }

    /// <summary>Text for a refused connection, in the words of the specification.</summary>
    public static string Describe(byte code, MqttProtocolVersion version) => (version, code) switch
    {
        (_, 0) => "accepted",
        (MqttProtocolVersion.V311, 1) => "unacceptable protocol version",
        (MqttProtocolVersion.V311, 2) => "identifier rejected",
        (MqttProtocolVersion.V311, 3) => "server unavailable",
        (MqttProtocolVersion.V311, 4) => "bad user name or password",
        (MqttProtocolVersion.V311, 5) => "not authorized",
        (_, 0x80) => "unspecified error",
        (_, 0x81) => "malformed packet",
        (_, 0x82) => "protocol error",
        (_, 0x83) => "implementation specific error",
        (_, 0x84) => "unsupported protocol version",
        (_, 0x85) => "client identifier not valid",
        (_, 0x86) => "bad user name or password",
        (_, 0x87) => "not authorized",
        (_, 0x88) => "server unavailable",
        (_, 0x89) => "server busy",
        (_, 0x8A) => "banned",
        (_, 0x8C) => "bad authentication method",
        (_, 0x90) => "topic name invalid",
        (_, 0x95) => "packet too large",
        (_, 0x97) => "quota exceeded",
        (_, 0x99) => "payload format invalid",
        (_, 0x9A) => "retain not supported",
        (_, 0x9B) => "QoS not supported",
        (_, 0x9C) => "use another server",
        (_, 0x9D) => "server moved",
        (_, 0x9F) => "connection rate exceeded",
        _ => "unknown",
    };

    public int GetBodySize(MqttProtocolVersion version) =>
        2 + (version == MqttProtocolVersion.V500 ? Properties.GetBlockSize() : 0);

    public void WriteBody(ref MqttWireWriter writer, MqttProtocolVersion version)
    {
        writer.WriteByte(SessionPresent ? (byte)1 : (byte)0);
        writer.WriteByte(ReasonCode);
        if (version == MqttProtocolVersion.V500)
        {
            Properties.Write(ref writer, Properties.GetSize());
        }
    }
}
