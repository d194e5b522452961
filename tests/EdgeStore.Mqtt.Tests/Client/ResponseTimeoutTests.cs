using System.Buffers;
using System.Net;
using System.Net.Sockets;
using EdgeStore.Mqtt.Codec;
using EdgeStore.Mqtt.Packets;
using EdgeStore.Testing;

namespace EdgeStore.Mqtt.Tests.Client;

/// <summary>A fake broker on 127.0.0.1 that accepts CONNECT and then leaves requests unanswered.</summary>
public sealed class ResponseTimeoutTests
{
    private static readonly byte[] ConnAck = [0x20, 0x03, 0x00, 0x00, 0x00];

    /// <summary>Reads exactly one MQTT packet the client sent, decoded with the client's own codec.</summary>
    private static async Task<MqttPacket> ReadPacketAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        var received = new List<byte>();
        var chunk = new byte[1];
        var settings = new MqttDecoderSettings(MqttProtocolVersion.V500, 1024 * 1024, 1);
        while (true)
        {
            var buffer = new ReadOnlySequence<byte>(received.ToArray());
            if (MqttPacketReader.TryRead(ref buffer, settings, out var packet, out _))
            {
                return packet!;
            }

            if (await stream.ReadAsync(chunk, cancellationToken) == 0)
            {
                throw new EndOfStreamException("the client closed the connection");
            }

            received.Add(chunk[0]);
        }
    }

    private static async Task<int> ReadToEndAsync(NetworkStream stream, CancellationToken cancellationToken)
    {
        var buffer = new byte[256];
        var total = 0;
        int read;
        while ((read = await stream.ReadAsync(buffer, cancellationToken)) > 0)
        {
            total += read;
        }

        return total;
    }

    [Fact]
    public async Task Unanswered_subscribe_and_unsubscribe_close_the_connection_and_the_client_connects_again()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var logger = new RecordingLogger<MqttClient>();
        var options = new MqttClientOptions
        {
            Port = ((IPEndPoint)listener.LocalEndpoint).Port,
            ClientId = "unanswered",
            KeepAlive = TimeSpan.Zero,
            // Long enough that this test's own reads and writes, on a loaded 2-core machine, fit inside one timeout.
            ResponseTimeout = TimeSpan.FromSeconds(2),
            ReconnectMinDelay = TimeSpan.FromMilliseconds(50),
            ReconnectMaxDelay = TimeSpan.FromMilliseconds(200),
            Subscriptions = [new MqttSubscription("sensors/#", MqttQualityOfService.AtLeastOnce)],
        };
        var client = new MqttClient(options, logger);
        await using (client)
        {
            await client.StartAsync(CancellationToken.None);
            using var timeout = new CancellationTokenSource(Inbox.Patience);
            var attempts = 0;

            // First connection: CONNACK, then silence after SUBSCRIBE. The client must give up and close.
            using (var first = await listener.AcceptTcpClientAsync(timeout.Token))
            {
                attempts++;
                var stream = first.GetStream();
                var connect = Assert.IsType<ConnectPacket>(await ReadPacketAsync(stream, timeout.Token));
                Assert.Equal((ushort)65535, connect.Properties.ReceiveMaximum);
                await stream.WriteAsync(ConnAck, timeout.Token);
                var subscribe = Assert.IsType<SubscribePacket>(await ReadPacketAsync(stream, timeout.Token));
                Assert.Equal("sensors/#", Assert.Single(subscribe.Subscriptions).Filter);
                Assert.Equal(0, await ReadToEndAsync(stream, timeout.Token));
            }

            // Second connection: SUBACK this time, so the client is ready; then UNSUBSCRIBE goes unanswered.
            using (var second = await listener.AcceptTcpClientAsync(timeout.Token))
            {
                attempts++;
                var stream = second.GetStream();
                Assert.IsType<ConnectPacket>(await ReadPacketAsync(stream, timeout.Token));
                await stream.WriteAsync(ConnAck, timeout.Token);
                var subscribe = Assert.IsType<SubscribePacket>(await ReadPacketAsync(stream, timeout.Token));
                await stream.WriteAsync(new byte[] { 0x90, 0x04, (byte)(subscribe.PacketId >> 8), (byte)subscribe.PacketId, 0x00, 0x01 }, timeout.Token);
                await client.WaitConnectedAsync(timeout.Token);

                var unsubscribing = client.UnsubscribeAsync(["sensors/#"], CancellationToken.None);
                Assert.IsType<UnsubscribePacket>(await ReadPacketAsync(stream, timeout.Token));
                await Assert.ThrowsAsync<MqttException>(() => unsubscribing);
                Assert.Equal(0, await ReadToEndAsync(stream, timeout.Token));
            }

            using (var third = await listener.AcceptTcpClientAsync(timeout.Token))
            {
                attempts++;
            }

            Assert.Equal(3, attempts);
            Assert.Single(logger.Entries, l => l.Message.Contains("lost: no SUBACK within 2 s", StringComparison.Ordinal));
            Assert.Single(logger.Entries, l => l.Message.Contains("lost: no UNSUBACK within 2 s", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Unanswered_pingreq_closes_the_connection_after_the_response_timeout_and_the_client_connects_again()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var logger = new RecordingLogger<MqttClient>();
        var options = new MqttClientOptions
        {
            Port = ((IPEndPoint)listener.LocalEndpoint).Port,
            ClientId = "unponged",
            // PINGREQ after 4 s idle; its answer is due 0.5 s later, well before the 6 s dead-peer limit.
            KeepAlive = TimeSpan.FromSeconds(4),
            ResponseTimeout = TimeSpan.FromMilliseconds(500),
            ReconnectMinDelay = TimeSpan.FromMilliseconds(50),
            ReconnectMaxDelay = TimeSpan.FromMilliseconds(200),
        };
        var client = new MqttClient(options, logger);
        await using (client)
        {
            await client.StartAsync(CancellationToken.None);
            using var timeout = new CancellationTokenSource(Inbox.Patience);
            var attempts = 0;
            using (var first = await listener.AcceptTcpClientAsync(timeout.Token))
            {
                attempts++;
                var stream = first.GetStream();
                Assert.IsType<ConnectPacket>(await ReadPacketAsync(stream, timeout.Token));
                await stream.WriteAsync(ConnAck, timeout.Token);
                Assert.IsType<PingReqPacket>(await ReadPacketAsync(stream, timeout.Token));
                Assert.Equal(0, await ReadToEndAsync(stream, timeout.Token));
            }

            using (var second = await listener.AcceptTcpClientAsync(timeout.Token))
            {
                attempts++;
            }

            Assert.Equal(2, attempts);
            Assert.Single(logger.Entries, l => l.Message.Contains("lost: no PINGRESP within 0.5 s", StringComparison.Ordinal));
            Assert.DoesNotContain(logger.Entries, l => l.Message.Contains("dead peer", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Response_timeout_must_be_positive()
    {
        var options = new MqttClientOptions { ClientId = "c", ResponseTimeout = TimeSpan.Zero };

        var exception = Assert.Throws<ArgumentException>(() => new MqttClient(options));

        Assert.Contains("ResponseTimeout", exception.Message, StringComparison.Ordinal);
    }
}
