using EdgeStore.Mqtt;
using MQTTnet;
using MqttProtocolVersion = MQTTnet.Formatter.MqttProtocolVersion;
using MQTTnet.Protocol;

namespace EdgeStore.Bench.MqttClients;

/// <summary>MQTTnet 5.2 as the subscriber, as its documentation shows it: the handler is the
/// ApplicationMessageReceivedAsync event, and the automatic acknowledgement goes out when it returns.</summary>
internal sealed class MqttNetSubscriber : SubscriberClient
{
    private IMqttClient? _client;

    public override async Task StartAsync(int port, MqttQualityOfService qos, Func<int, ValueTask> onMessage, CancellationToken ct)
    {
        var factory = new MqttClientFactory();
        var client = factory.CreateMqttClient();
        client.ApplicationMessageReceivedAsync += async e => await onMessage((int)e.ApplicationMessage.Payload.Length);
        _client = client;
        var options = new MqttClientOptionsBuilder()
            .WithTcpServer("127.0.0.1", port)
            .WithClientId("bench-mqttnet")
            .WithProtocolVersion(MqttProtocolVersion.V500)
            .WithCleanStart(true)
            .Build();
        await client.ConnectAsync(options, ct);
        var level = qos == MqttQualityOfService.AtMostOnce ? MqttQualityOfServiceLevel.AtMostOnce : MqttQualityOfServiceLevel.AtLeastOnce;
        await client.SubscribeAsync(factory.CreateSubscribeOptionsBuilder().WithTopicFilter(Filter, level).Build(), ct);
    }

    public override async ValueTask DisposeAsync()
    {
        if (_client is not null)
        {
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _client.DisconnectAsync(new MqttClientDisconnectOptions(), stop.Token);
            }
            catch (Exception e) when (e is MQTTnet.Exceptions.MqttCommunicationException or OperationCanceledException)
            {
                // Already disconnected.
            }

            _client.Dispose();
        }
    }
}
