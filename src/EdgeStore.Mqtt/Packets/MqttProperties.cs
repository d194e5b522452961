using System.Buffers;
using EdgeStore.Mqtt.Codec;

namespace EdgeStore.Mqtt.Packets;

/// <summary>
/// The MQTT 5 property block of one packet. A mutable struct so decoding a packet without properties allocates
/// nothing; a null field means "absent". Reading enforces the per-packet table of legal ids, duplicates and value ranges.
/// </summary>
internal struct MqttProperties
{
    public byte? PayloadFormatIndicator;
    public uint? MessageExpiryInterval;
    public string? ContentType;
    public string? ResponseTopic;
    public byte[]? CorrelationData;
    public List<uint>? SubscriptionIdentifiers;
    public uint? SessionExpiryInterval;
    public string? AssignedClientIdentifier;
    public ushort? ServerKeepAlive;
    public string? AuthenticationMethod;
    public byte[]? AuthenticationData;
    public byte? RequestProblemInformation;
    public uint? WillDelayInterval;
    public byte? RequestResponseInformation;
    public string? ResponseInformation;
    public string? ServerReference;
    public string? ReasonString;
    public ushort? ReceiveMaximum;
    public ushort? TopicAliasMaximum;
    public ushort? TopicAlias;
    public byte? MaximumQos;
    public byte? RetainAvailable;
    public List<MqttUserProperty>? UserProperties;
    public uint? MaximumPacketSize;
    public byte? WildcardSubscriptionAvailable;
    public byte? SubscriptionIdentifierAvailable;
    public byte? SharedSubscriptionAvailable;

    /// <summary>True when <paramref name="id"/> may appear in <paramref name="context"/> (MQTT 5 §2.2.2.2).</summary>
    public static bool IsAllowed(MqttPropertyId id, MqttPropertyContext context) => id switch
    {
        MqttPropertyId.PayloadFormatIndicator or MqttPropertyId.MessageExpiryInterval or MqttPropertyId.ContentType
            or MqttPropertyId.ResponseTopic or MqttPropertyId.CorrelationData =>
            context is MqttPropertyContext.Publish or MqttPropertyContext.Will,
        MqttPropertyId.SubscriptionIdentifier => context is MqttPropertyContext.Publish or MqttPropertyContext.Subscribe,
        MqttPropertyId.SessionExpiryInterval =>
            context is MqttPropertyContext.Connect or MqttPropertyContext.ConnAck or MqttPropertyContext.Disconnect,
        MqttPropertyId.AssignedClientIdentifier or MqttPropertyId.ServerKeepAlive or MqttPropertyId.ResponseInformation
            or MqttPropertyId.MaximumQos or MqttPropertyId.RetainAvailable or MqttPropertyId.WildcardSubscriptionAvailable
            or MqttPropertyId.SubscriptionIdentifierAvailable or MqttPropertyId.SharedSubscriptionAvailable =>
            context is MqttPropertyContext.ConnAck,
        MqttPropertyId.AuthenticationMethod or MqttPropertyId.AuthenticationData =>
            context is MqttPropertyContext.Connect or MqttPropertyContext.ConnAck or MqttPropertyContext.Auth,
        MqttPropertyId.RequestProblemInformation or MqttPropertyId.RequestResponseInformation =>
            context is MqttPropertyContext.Connect,
        MqttPropertyId.WillDelayInterval => context is MqttPropertyContext.Will,
        MqttPropertyId.ServerReference => context is MqttPropertyContext.ConnAck or MqttPropertyContext.Disconnect,
        MqttPropertyId.ReasonString =>
            context is MqttPropertyContext.ConnAck or MqttPropertyContext.PublishResponse or MqttPropertyContext.SubAck
                or MqttPropertyContext.UnsubAck or MqttPropertyContext.Disconnect or MqttPropertyContext.Auth,
        MqttPropertyId.ReceiveMaximum or MqttPropertyId.TopicAliasMaximum or MqttPropertyId.MaximumPacketSize =>
            context is MqttPropertyContext.Connect or MqttPropertyContext.ConnAck,
        MqttPropertyId.TopicAlias => context is MqttPropertyContext.Publish,
        MqttPropertyId.UserProperty => true,
        _ => false,
    };

    public static MqttProperties Read(ref SequenceReader<byte> reader, MqttPropertyContext context)
    {
        var length = MqttWireReader.ReadVariableByteInteger(ref reader, "property length");
        if (length > reader.Remaining)
        {
            throw new MqttProtocolException($"{context} properties: length {length} exceeds the {reader.Remaining} bytes left");
        }

        var properties = default(MqttProperties);
        if (length == 0)
        {
            return properties;
        }

        var block = new SequenceReader<byte>(reader.UnreadSequence.Slice(0, length));
        reader.Advance(length);
        while (!block.End)
        {
            var raw = MqttWireReader.ReadVariableByteInteger(ref block, "property identifier");
            var id = (MqttPropertyId)raw;
            if (raw > byte.MaxValue || !IsAllowed(id, context))
            {
                throw new MqttProtocolException($"property 0x{raw:X2} is not allowed in {context}") { ReasonCode = 0x82 };
            }

            properties.ReadValue(ref block, id);
        }

        return properties;
    }

    public readonly int GetSize()
    {
        var size = 0;
        size += PayloadFormatIndicator.HasValue ? 2 : 0;
        size += MessageExpiryInterval.HasValue ? 5 : 0;
        size += ContentType is null ? 0 : 1 + MqttWireWriter.StringSize(ContentType);
        size += ResponseTopic is null ? 0 : 1 + MqttWireWriter.StringSize(ResponseTopic);
        size += CorrelationData is null ? 0 : 3 + CorrelationData.Length;
        if (SubscriptionIdentifiers is not null)
        {
            foreach (var id in SubscriptionIdentifiers)
            {
                size += 1 + MqttWireWriter.VariableByteIntegerSize(id);
            }
        }

        size += SessionExpiryInterval.HasValue ? 5 : 0;
        size += AssignedClientIdentifier is null ? 0 : 1 + MqttWireWriter.StringSize(AssignedClientIdentifier);
        size += ServerKeepAlive.HasValue ? 3 : 0;
        size += AuthenticationMethod is null ? 0 : 1 + MqttWireWriter.StringSize(AuthenticationMethod);
        size += AuthenticationData is null ? 0 : 3 + AuthenticationData.Length;
        size += RequestProblemInformation.HasValue ? 2 : 0;
        size += WillDelayInterval.HasValue ? 5 : 0;
        size += RequestResponseInformation.HasValue ? 2 : 0;
        size += ResponseInformation is null ? 0 : 1 + MqttWireWriter.StringSize(ResponseInformation);
        size += ServerReference is null ? 0 : 1 + MqttWireWriter.StringSize(ServerReference);
        size += ReasonString is null ? 0 : 1 + MqttWireWriter.StringSize(ReasonString);
        size += ReceiveMaximum.HasValue ? 3 : 0;
        size += TopicAliasMaximum.HasValue ? 3 : 0;
        size += TopicAlias.HasValue ? 3 : 0;
        size += MaximumQos.HasValue ? 2 : 0;
        size += RetainAvailable.HasValue ? 2 : 0;
        if (UserProperties is not null)
        {
            foreach (var property in UserProperties)
            {
                size += 1 + MqttWireWriter.StringSize(property.Name) + MqttWireWriter.StringSize(property.Value);
            }
        }

        size += MaximumPacketSize.HasValue ? 5 : 0;
        size += WildcardSubscriptionAvailable.HasValue ? 2 : 0;
        size += SubscriptionIdentifierAvailable.HasValue ? 2 : 0;
        size += SharedSubscriptionAvailable.HasValue ? 2 : 0;
        return size;
    }

    /// <summary>Bytes of the whole block: the length prefix plus <see cref="GetSize"/>.</summary>
    public readonly int GetBlockSize()
    {
        var size = GetSize();
        return MqttWireWriter.VariableByteIntegerSize((uint)size) + size;
    }

    public readonly void Write(ref MqttWireWriter writer, int size)
    {
        writer.WriteVariableByteInteger((uint)size);
        WriteByteProperty(ref writer, MqttPropertyId.PayloadFormatIndicator, PayloadFormatIndicator);
        WriteUInt32Property(ref writer, MqttPropertyId.MessageExpiryInterval, MessageExpiryInterval);
        WriteStringProperty(ref writer, MqttPropertyId.ContentType, ContentType);
        WriteStringProperty(ref writer, MqttPropertyId.ResponseTopic, ResponseTopic);
        WriteBinaryProperty(ref writer, MqttPropertyId.CorrelationData, CorrelationData);
        if (SubscriptionIdentifiers is not null)
        {
            foreach (var id in SubscriptionIdentifiers)
            {
                writer.WriteByte((byte)MqttPropertyId.SubscriptionIdentifier);
                writer.WriteVariableByteInteger(id);
            }
        }

        WriteUInt32Property(ref writer, MqttPropertyId.SessionExpiryInterval, SessionExpiryInterval);
        WriteStringProperty(ref writer, MqttPropertyId.AssignedClientIdentifier, AssignedClientIdentifier);
        WriteUInt16Property(ref writer, MqttPropertyId.ServerKeepAlive, ServerKeepAlive);
        WriteStringProperty(ref writer, MqttPropertyId.AuthenticationMethod, AuthenticationMethod);
        WriteBinaryProperty(ref writer, MqttPropertyId.AuthenticationData, AuthenticationData);
        WriteByteProperty(ref writer, MqttPropertyId.RequestProblemInformation, RequestProblemInformation);
        WriteUInt32Property(ref writer, MqttPropertyId.WillDelayInterval, WillDelayInterval);
        WriteByteProperty(ref writer, MqttPropertyId.RequestResponseInformation, RequestResponseInformation);
        WriteStringProperty(ref writer, MqttPropertyId.ResponseInformation, ResponseInformation);
        WriteStringProperty(ref writer, MqttPropertyId.ServerReference, ServerReference);
        WriteStringProperty(ref writer, MqttPropertyId.ReasonString, ReasonString);
        WriteUInt16Property(ref writer, MqttPropertyId.ReceiveMaximum, ReceiveMaximum);
        WriteUInt16Property(ref writer, MqttPropertyId.TopicAliasMaximum, TopicAliasMaximum);
        WriteUInt16Property(ref writer, MqttPropertyId.TopicAlias, TopicAlias);
        WriteByteProperty(ref writer, MqttPropertyId.MaximumQos, MaximumQos);
        WriteByteProperty(ref writer, MqttPropertyId.RetainAvailable, RetainAvailable);
        if (UserProperties is not null)
        {
            foreach (var property in UserProperties)
            {
                writer.WriteByte((byte)MqttPropertyId.UserProperty);
                writer.WriteString(property.Name);
                writer.WriteString(property.Value);
            }
        }

        WriteUInt32Property(ref writer, MqttPropertyId.MaximumPacketSize, MaximumPacketSize);
        WriteByteProperty(ref writer, MqttPropertyId.WildcardSubscriptionAvailable, WildcardSubscriptionAvailable);
        WriteByteProperty(ref writer, MqttPropertyId.SubscriptionIdentifierAvailable, SubscriptionIdentifierAvailable);
        WriteByteProperty(ref writer, MqttPropertyId.SharedSubscriptionAvailable, SharedSubscriptionAvailable);
    }

    private static void WriteByteProperty(ref MqttWireWriter writer, MqttPropertyId id, byte? value)
    {
        if (value.HasValue)
        {
            writer.WriteByte((byte)id);
            writer.WriteByte(value.Value);
        }
    }

    private static void WriteUInt16Property(ref MqttWireWriter writer, MqttPropertyId id, ushort? value)
    {
        if (value.HasValue)
        {
            writer.WriteByte((byte)id);
            writer.WriteUInt16(value.Value);
        }
    }

    private static void WriteUInt32Property(ref MqttWireWriter writer, MqttPropertyId id, uint? value)
    {
        if (value.HasValue)
        {
            writer.WriteByte((byte)id);
            writer.WriteUInt32(value.Value);
        }
    }

    private static void WriteStringProperty(ref MqttWireWriter writer, MqttPropertyId id, string? value)
    {
        if (value is not null)
        {
            writer.WriteByte((byte)id);
            writer.WriteString(value);
        }
    }

    private static void WriteBinaryProperty(ref MqttWireWriter writer, MqttPropertyId id, byte[]? value)
    {
        if (value is not null)
        {
            writer.WriteByte((byte)id);
            writer.WriteBinary(value);
        }
    }

    private static T Once<T>(T? current, MqttPropertyId id, T value)
        where T : struct =>
        current.HasValue ? throw Duplicate(id) : value;

    private static T OnceRef<T>(T? current, MqttPropertyId id, T value)
        where T : class =>
        current is not null ? throw Duplicate(id) : value;

    private static MqttProtocolException Duplicate(MqttPropertyId id) =>
        new($"property {id} appears more than once") { ReasonCode = 0x82 };

    private static byte ReadFlag(ref SequenceReader<byte> reader, MqttPropertyId id)
    {
        var value = MqttWireReader.ReadByte(ref reader, id.ToString());
        return value <= 1 ? value : throw new MqttProtocolException($"property {id} has value {value}; only 0 or 1 is allowed") { ReasonCode = 0x82 };
    }

    private static ushort ReadNonZeroUInt16(ref SequenceReader<byte> reader, MqttPropertyId id)
    {
        var value = MqttWireReader.ReadUInt16(ref reader, id.ToString());
        return value != 0 ? value : throw new MqttProtocolException($"property {id} must not be 0") { ReasonCode = 0x82 };
    }

    private void ReadValue(ref SequenceReader<byte> reader, MqttPropertyId id)
    {
        var name = id.ToString();
        switch (id)
        {
            case MqttPropertyId.PayloadFormatIndicator:
                PayloadFormatIndicator = Once(PayloadFormatIndicator, id, ReadFlag(ref reader, id));
                break;
            case MqttPropertyId.MessageExpiryInterval:
                MessageExpiryInterval = Once(MessageExpiryInterval, id, MqttWireReader.ReadUInt32(ref reader, name));
                break;
            case MqttPropertyId.ContentType:
                ContentType = OnceRef(ContentType, id, MqttWireReader.ReadString(ref reader, name));
                break;
            case MqttPropertyId.ResponseTopic:
                var responseTopic = MqttWireReader.ReadString(ref reader, name);
                if (!MqttTopicFilter.IsValidTopicName(responseTopic))
                {
                    throw new MqttProtocolException($"response topic '{responseTopic}' is not a valid topic name") { ReasonCode = 0x82 };
                }

                ResponseTopic = OnceRef(ResponseTopic, id, responseTopic);
                break;
            case MqttPropertyId.CorrelationData:
                CorrelationData = OnceRef(CorrelationData, id, MqttWireReader.ReadBinary(ref reader, name));
                break;
            case MqttPropertyId.SubscriptionIdentifier:
                var subscriptionId = MqttWireReader.ReadVariableByteInteger(ref reader, name);
                if (subscriptionId == 0)
                {
                    throw new MqttProtocolException("subscription identifier 0 is not allowed") { ReasonCode = 0x82 };
                }

                (SubscriptionIdentifiers ??= []).Add(subscriptionId);
                break;
            case MqttPropertyId.SessionExpiryInterval:
                SessionExpiryInterval = Once(SessionExpiryInterval, id, MqttWireReader.ReadUInt32(ref reader, name));
                break;
            case MqttPropertyId.AssignedClientIdentifier:
                AssignedClientIdentifier = OnceRef(AssignedClientIdentifier, id, MqttWireReader.ReadString(ref reader, name));
                break;
            case MqttPropertyId.ServerKeepAlive:
                ServerKeepAlive = Once(ServerKeepAlive, id, MqttWireReader.ReadUInt16(ref reader, name));
                break;
            case MqttPropertyId.AuthenticationMethod:
                AuthenticationMethod = OnceRef(AuthenticationMethod, id, MqttWireReader.ReadString(ref reader, name));
                break;
            case MqttPropertyId.AuthenticationData:
                AuthenticationData = OnceRef(AuthenticationData, id, MqttWireReader.ReadBinary(ref reader, name));
                break;
            case MqttPropertyId.RequestProblemInformation:
                RequestProblemInformation = Once(RequestProblemInformation, id, ReadFlag(ref reader, id));
                break;
            case MqttPropertyId.WillDelayInterval:
                WillDelayInterval = Once(WillDelayInterval, id, MqttWireReader.ReadUInt32(ref reader, name));
                break;
            case MqttPropertyId.RequestResponseInformation:
                RequestResponseInformation = Once(RequestResponseInformation, id, ReadFlag(ref reader, id));
                break;
            case MqttPropertyId.ResponseInformation:
                ResponseInformation = OnceRef(ResponseInformation, id, MqttWireReader.ReadString(ref reader, name));
                break;
            case MqttPropertyId.ServerReference:
                ServerReference = OnceRef(ServerReference, id, MqttWireReader.ReadString(ref reader, name));
                break;
            case MqttPropertyId.ReasonString:
                ReasonString = OnceRef(ReasonString, id, MqttWireReader.ReadString(ref reader, name));
                break;
            case MqttPropertyId.ReceiveMaximum:
                ReceiveMaximum = Once(ReceiveMaximum, id, ReadNonZeroUInt16(ref reader, id));
                break;
            case MqttPropertyId.TopicAliasMaximum:
                TopicAliasMaximum = Once(TopicAliasMaximum, id, MqttWireReader.ReadUInt16(ref reader, name));
                break;
            case MqttPropertyId.TopicAlias:
                TopicAlias = Once(TopicAlias, id, ReadNonZeroUInt16(ref reader, id));
                break;
            case MqttPropertyId.MaximumQos:
                MaximumQos = Once(MaximumQos, id, ReadFlag(ref reader, id));
                break;
            case MqttPropertyId.RetainAvailable:
                RetainAvailable = Once(RetainAvailable, id, ReadFlag(ref reader, id));
                break;
            case MqttPropertyId.UserProperty:
                var propertyName = MqttWireReader.ReadString(ref reader, "user property name");
                var propertyValue = MqttWireReader.ReadString(ref reader, "user property value");
                (UserProperties ??= []).Add(new MqttUserProperty(propertyName, propertyValue));
                break;
            case MqttPropertyId.MaximumPacketSize:
                var maximum = MqttWireReader.ReadUInt32(ref reader, name);
                MaximumPacketSize = Once(MaximumPacketSize, id, maximum != 0
                    ? maximum
                    : throw new MqttProtocolException("property MaximumPacketSize must not be 0") { ReasonCode = 0x82 });
                break;
            case MqttPropertyId.WildcardSubscriptionAvailable:
                WildcardSubscriptionAvailable = Once(WildcardSubscriptionAvailable, id, ReadFlag(ref reader, id));
                break;
            case MqttPropertyId.SubscriptionIdentifierAvailable:
                SubscriptionIdentifierAvailable = Once(SubscriptionIdentifierAvailable, id, ReadFlag(ref reader, id));
                break;
            case MqttPropertyId.SharedSubscriptionAvailable:
                SharedSubscriptionAvailable = Once(SharedSubscriptionAvailable, id, ReadFlag(ref reader, id));
                break;
            default:
                throw new MqttProtocolException($"unknown property 0x{(byte)id:X2}") { ReasonCode = 0x82 };
        }
    }
}
