using System.IO.Pipelines;
using EdgeStore.Mqtt.Codec;
using EdgeStore.Mqtt.Packets;

namespace EdgeStore.Mqtt.Connection;

/// <summary>
/// One connection attempt: transport, CONNECT, and the wait for CONNACK, all within ConnectTimeout. Returns the
/// accepted CONNACK with the stream and pipes ready for <see cref="MqttConnection"/>; throws on refusal or timeout.
/// </summary>
internal static class MqttConnector
{
    public static async Task<(Stream Stream, PipeReader Reader, PipeWriter Writer, ConnAckPacket ConnAck)> ConnectAsync(
        MqttClientOptions options,
        long generation,
        CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.ConnectTimeout);
        Stream? stream = null;
        try
        {
            stream = await MqttTransport.OpenAsync(options, timeout.Token).ConfigureAwait(false);
            var reader = PipeReader.Create(stream, new StreamPipeReaderOptions(bufferSize: 64 * 1024, minimumReadSize: 4 * 1024, leaveOpen: true));
            var writer = PipeWriter.Create(stream, new StreamPipeWriterOptions(minimumBufferSize: 16 * 1024, leaveOpen: true));
            MqttPacketWriter.Write(writer, CreateConnect(options), options.ProtocolVersion);
            await writer.FlushAsync(timeout.Token).ConfigureAwait(false);
            var connAck = await ReadConnAckAsync(reader, options, generation, timeout.Token).ConfigureAwait(false);
            if (connAck.ReasonCode != 0)
            {
                throw new MqttException(
                    $"broker refused the connection: {ConnAckPacket.Describe(connAck.ReasonCode, options.ProtocolVersion)} " +
                    $"(code 0x{connAck.ReasonCode:X2}){(connAck.Properties.ReasonString is { } text ? $": {text}" : string.Empty)}");
            }

            return (stream, reader, writer, connAck);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await DisposeAsync(stream).ConfigureAwait(false);
            throw new TimeoutException($"no CONNACK from {options.Host}:{options.Port} within {options.ConnectTimeout.TotalSeconds:F0} s");
        }
        catch
        {
            await DisposeAsync(stream).ConfigureAwait(false);
            throw;
        }
    }

    internal static ConnectPacket CreateConnect(MqttClientOptions options)
    {
        var v5 = options.ProtocolVersion == MqttProtocolVersion.V500;
        return new ConnectPacket
        {
            ProtocolVersion = options.ProtocolVersion,
            ClientId = options.ClientId,
            CleanStart = options.CleanStart,
            KeepAliveSeconds = (ushort)options.KeepAlive.TotalSeconds,
            Username = options.Username,
            Password = options.Password is null ? null : System.Text.Encoding.UTF8.GetBytes(options.Password),
            Will = options.Will,
            Properties = v5
                ? new MqttProperties
                {
                    SessionExpiryInterval = (uint)Math.Min(options.SessionExpiryInterval.TotalSeconds, uint.MaxValue),
                    // Always explicit, 65535 included: a broker that hears none applies its own default (mosquitto's
                    // max_inflight_messages 20), and with a bounded queue behind it a burst is dropped.
                    ReceiveMaximum = options.ReceiveMaximum,
                    MaximumPacketSize = options.MaximumPacketSize,
                }
                : default,
        };
    }

    private static async Task<ConnAckPacket> ReadConnAckAsync(PipeReader reader, MqttClientOptions options, long generation, CancellationToken cancellationToken)
    {
        var settings = new MqttDecoderSettings(options.ProtocolVersion, options.MaximumPacketSize, generation);
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            var buffer = result.Buffer;
            MqttPacket? packet;
            MqttApplicationMessage? message;
            var complete = false;
            try
            {
                complete = MqttPacketReader.TryRead(ref buffer, settings, out packet, out message);
            }
            finally
            {
                // Bytes after CONNACK stay in the pipe, NOT marked examined, so the receive loop's first read
                // returns them at once instead of waiting for more bytes from the socket.
                if (complete)
                {
                    reader.AdvanceTo(buffer.Start);
                }
                else
                {
                    reader.AdvanceTo(buffer.Start, buffer.End);
                }
            }

            if (complete)
            {
                return packet as ConnAckPacket
                    ?? throw new MqttProtocolException($"expected CONNACK, got {(message is null ? packet!.Type.ToString().ToUpperInvariant() : "PUBLISH")}");
            }

            if (result.IsCompleted)
            {
                throw new EndOfStreamException("the broker closed the connection before CONNACK");
            }
        }
    }

    private static async ValueTask DisposeAsync(Stream? stream)
    {
        if (stream is not null)
        {
            await stream.DisposeAsync().ConfigureAwait(false);
        }
    }
}
