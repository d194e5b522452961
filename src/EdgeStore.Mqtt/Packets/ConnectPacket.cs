using System.Buffers;
using EdgeStore.Mqtt.Codec;

namespace EdgeStore.Mqtt.Packets;

/// <summary>CONNECT (client to broker, MQTT 5 §3.1 / 3.1.1 §3.1).</summary>
internal sealed class ConnectPacket : MqttPacket
{
    private const string ProtocolName = "MQTT";

    public override MqttPacketType Type => MqttPacketType.Connect;

    public MqttProtocolVersion ProtocolVersion { get; init; }

    public required string ClientId { get; init; }

    public bool CleanStart { get; init; }

    public ushort KeepAliveSeconds { get; init; }

    public string? Username { get; init; }

    public byte[]? Password { get; init; }

    public MqttWillMessage? Will { get; init; }

    public MqttProperties WillProperties;

    public MqttProperties Properties;

    public static ConnectPacket Read(ref SequenceReader<byte> reader)
    {
        var name = MqttWireReader.ReadString(ref reader, "protocol name");
        var level = MqttWireReader.ReadByte(ref reader, "protocol level");
        if (name != ProtocolName || level is not ((byte)MqttProtocolVersion.V311 or (byte)MqttProtocolVersion.V500))
        {
            throw new MqttProtocolException($"unsupported protocol '{name}' level {level}") { ReasonCode = 0x84 };
        }

        var version = (MqttProtocolVersion)level;
        var flags = MqttWireReader.ReadByte(ref reader, "connect flags");
        if ((flags & 0x01) != 0)
        {
            throw new MqttProtocolException("CONNECT reserved flag bit 0 is set");
        }

        var willFlag = (flags & 0x04) != 0;
        var willQos = (flags >> 3) & 0x03;
        var willRetain = (flags & 0x20) != 0;
        var hasPassword = (flags & 0x40) != 0;
        var hasUsername = (flags & 0x80) != 0;
        if (willQos == 3 || (!willFlag && (willQos != 0 || willRetain)))
        {
            throw new MqttProtocolException("CONNECT will QoS/retain flags are inconsistent");
        }

        if (version == MqttProtocolVersion.V311 && hasPassword && !hasUsername)
        {
            throw new MqttProtocolException("CONNECT has a password without a user name (3.1.1)");
        }

        var keepAlive = MqttWireReader.ReadUInt16(ref reader, "keep alive");
        var properties = version == MqttProtocolVersion.V500 ? MqttProperties.Read(ref reader, MqttPropertyContext.Connect) : default;
        var clientId = MqttWireReader.ReadString(ref reader, "client identifier");
        MqttWillMessage? will = null;
        var willProperties = default(MqttProperties);
        if (willFlag)
        {
            if (version == MqttProtocolVersion.V500)
            {
                willProperties = MqttProperties.Read(ref reader, MqttPropertyContext.Will);
            }

            var topic = MqttWireReader.ReadString(ref reader, "will topic");
            if (!MqttTopicFilter.IsValidTopicName(topic))
            {
                throw new MqttProtocolException($"will topic '{topic}' is not a valid topic name");
            }

            will = new MqttWillMessage
            {
                Topic = topic,
                Payload = MqttWireReader.ReadBinary(ref reader, "will payload"),
                Qos = (MqttQualityOfService)willQos,
                Retain = willRetain,
            };
        }

        var username = hasUsername ? MqttWireReader.ReadString(ref reader, "user name") : null;
        var password = hasPassword ? MqttWireReader.ReadBinary(ref reader, "password") : null;
        MqttWireReader.ExpectEnd(ref reader, "CONNECT");
        return new ConnectPacket
        {
            ProtocolVersion = version,
            ClientId = clientId,
            CleanStart = (flags & 0x02) != 0,
            KeepAliveSeconds = keepAlive,
            Username = username,
            Password = password,
            Will = will,
            WillProperties = willProperties,
            Properties = properties,
        };
    }

    public int GetBodySize()
    {
        var size = MqttWireWriter.StringSize(ProtocolName) + 1 + 1 + 2;
        var v5 = ProtocolVersion == MqttProtocolVersion.V500;
        size += v5 ? Properties.GetBlockSize() : 0;
        size += MqttWireWriter.StringSize(ClientId);
        if (Will is not null)
        {
            size += v5 ? WillProperties.GetBlockSize() : 0;
            size += MqttWireWriter.StringSize(Will.Topic) + MqttWireWriter.BinarySize(Will.Payload);
        }

        size += Username is null ? 0 : MqttWireWriter.StringSize(Username);
        size += Password is null ? 0 : 2 + Password.Length;
        return size;
    }

    public void WriteBody(ref MqttWireWriter writer)
    {
        writer.WriteString(ProtocolName);
        writer.WriteByte((byte)ProtocolVersion);
        var flags = 0;
        flags |= CleanStart ? 0x02 : 0;
        if (Will is not null)
        {
            flags |= 0x04 | ((int)Will.Qos << 3) | (Will.Retain ? 0x20 : 0);
        }

        flags |= Password is null ? 0 : 0x40;
        flags |= Username is null ? 0 : 0x80;
        writer.WriteByte((byte)flags);
        writer.WriteUInt16(KeepAliveSeconds);
        var v5 = ProtocolVersion == MqttProtocolVersion.V500;
        if (v5)
        {
            Properties.Write(ref writer, Properties.GetSize());
        }

        writer.WriteString(ClientId);
        if (Will is not null)
        {
            if (v5)
            {
                WillProperties.Write(ref writer, WillProperties.GetSize());
            }

            writer.WriteString(Will.Topic);
            writer.WriteBinary(Will.Payload.Span);
        }

        if (Username is not null)
        {
            writer.WriteString(Username);
        }

        if (Password is not null)
        {
            writer.WriteBinary(Password);
        }
    }
}
