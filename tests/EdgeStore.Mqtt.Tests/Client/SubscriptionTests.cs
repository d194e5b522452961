using System.Text;
using EdgeStore.Testing;

namespace EdgeStore.Mqtt.Tests.Client;

public sealed class SubscriptionTests
{
    [Theory]
    [InlineData(MqttRetainHandling.SendIfNewSubscription, 1)]
    [InlineData(MqttRetainHandling.SendAtSubscribe, 2)]
    public async Task Retain_handling_decides_whether_resubscribing_a_persistent_session_brings_the_retained_message_again(
        MqttRetainHandling handling, int expectedRetainedDeliveries)
    {
        using var broker = MosquittoBroker.Start();
        await using var publisher = await TestClients.PublisherAsync(broker);
        await publisher.PublishAsync("sensors/config", "retained"u8.ToArray(), MqttQualityOfService.AtLeastOnce, true, CancellationToken.None);
        var options = TestClients.Options(broker, $"retain-{handling}");
        options.SessionExpiryInterval = TimeSpan.FromHours(1);
        options.Subscriptions = [new MqttSubscription("sensors/#", MqttQualityOfService.AtLeastOnce) { RetainHandling = handling }];
        var inbox = new Inbox();
        await using var subscriber = await TestClients.StartAsync(options, inbox);

        var first = await inbox.NextAsync();
        Assert.True(first.Retain);
        subscriber.Acknowledge(first.AckToken);
        await TestClients.BarrierAsync(subscriber);

        // Reconnect to the kept session; the client subscribes again. A marker published afterwards is queued behind
        // whatever the broker sent for that SUBSCRIBE, so it bounds what the resubscription brought.
        var generation = subscriber.CurrentGeneration;
        subscriber.DropConnection();
        await Wait.UntilAsync(() => subscriber.IsConnected && subscriber.CurrentGeneration > generation, Inbox.Patience, "reconnect");
        await publisher.PublishAsync("sensors/marker", "marker"u8.ToArray(), MqttQualityOfService.AtLeastOnce, false, CancellationToken.None);
        var afterReconnect = new List<MqttApplicationMessage>();
        while (afterReconnect.Count == 0 || afterReconnect[^1].Topic != "sensors/marker")
        {
            var message = await inbox.NextAsync();
            subscriber.Acknowledge(message.AckToken);
            afterReconnect.Add(message);
        }

        var retained = afterReconnect.Count(m => Encoding.UTF8.GetString(m.Payload.Span) == "retained");
        Assert.Equal(expectedRetainedDeliveries, 1 + retained);
        Assert.True(subscriber.Counters.Reconnects >= 1);
    }

    /// <summary>
    /// mosquitto 2.0.11 never refuses a SUBSCRIBE for an acl_file rule (it only filters delivery), and its dynamic
    /// security plugin does refuse (0x87 / 0x80) but does not reread its file on SIGHUP. So the broker here runs
    /// dynamic security with subscribing denied by default and other/# allowed by a role, and the grant is made at
    /// run time through the plugin's $CONTROL topic, as an operator's mosquitto_ctrl would. (Changing a role instead
    /// would make the plugin disconnect every client holding it; the default access changes without a kick.)
    /// </summary>
    private const string DynamicSecurity = """
        {
          "defaultACLAccess": { "publishClientSend": true, "publishClientReceive": true, "subscribe": false, "unsubscribe": true },
          "clients": [],
          "groups": [ { "groupname": "anonymous", "roles": [ { "rolename": "reader" }, { "rolename": "admin" } ] } ],
          "roles": [
            { "rolename": "reader", "acls": [ { "acltype": "subscribePattern", "topic": "other/#", "priority": 0, "allow": true } ] },
            { "rolename": "admin", "acls": [
              { "acltype": "publishClientSend", "topic": "$CONTROL/dynamic-security/#", "priority": 0, "allow": true },
              { "acltype": "publishClientReceive", "topic": "$CONTROL/dynamic-security/#", "priority": 0, "allow": true },
              { "acltype": "subscribePattern", "topic": "$CONTROL/dynamic-security/#", "priority": 0, "allow": true } ] }
          ],
          "anonymousGroup": "anonymous"
        }
        """;

    [Theory]
    [InlineData(MqttProtocolVersion.V311, "0x80 (unspecified error)")]
    [InlineData(MqttProtocolVersion.V500, "0x87 (not authorized)")]
    public async Task A_refused_subscription_keeps_the_client_unready_and_is_retried_until_the_broker_grants_it(MqttProtocolVersion version, string expectedReason)
    {
        var directory = Directory.CreateTempSubdirectory("edgestore-dynsec-").FullName;
        try
        {
            var configPath = Path.Combine(directory, "dynamic-security.json");
            await File.WriteAllTextAsync(configPath, DynamicSecurity);
            using var broker = MosquittoBroker.Start($"plugin {MosquittoBroker.FindDynamicSecurityPlugin()}\nplugin_opt_config_file {configPath}");
            var logger = new RecordingLogger<MqttClient>();
            var inbox = new Inbox();
            var options = TestClients.Options(broker, $"refused-{version}", version);
            options.Subscriptions =
            [
                new MqttSubscription("other/#", MqttQualityOfService.AtLeastOnce),
                new MqttSubscription("sensors/#", MqttQualityOfService.AtLeastOnce),
            ];
            var subscriber = new MqttClient(options, logger) { MessageReceived = inbox.Receive };
            await using (subscriber)
            {
                await subscriber.StartAsync(CancellationToken.None);
                await Wait.UntilAsync(() => subscriber.Counters.SubscriptionsRefused >= 2, Inbox.Patience, "two refusals of sensors/#");
                await using var publisher = await TestClients.PublisherAsync(broker);

                Assert.False(subscriber.IsConnected);
                Assert.Equal(["sensors/#"], subscriber.RefusedSubscriptions);
                Assert.Contains(logger.Entries, l => l.Level == Microsoft.Extensions.Logging.LogLevel.Warning
                    && l.Message.Contains($"refused subscription to 'sensors/#': reason code {expectedReason}", StringComparison.Ordinal));
                Assert.DoesNotContain(logger.Entries, l => l.Message.Contains("'other/#'", StringComparison.Ordinal));

                // The granted filter delivers while the other one is refused.
                await publisher.PublishAsync("other/x", "granted"u8.ToArray(), MqttQualityOfService.AtLeastOnce, false, CancellationToken.None);
                Assert.Equal("granted", Encoding.UTF8.GetString((await inbox.NextAsync()).Payload.Span));

                // The operator lifts the denial; the client's next retry on the same connection is granted.
                await publisher.PublishAsync(
                    "$CONTROL/dynamic-security/v1",
                    """{"commands":[{"command":"setDefaultACLAccess","acls":[{"acltype":"subscribe","allow":true}]}]}"""u8.ToArray(),
                    MqttQualityOfService.AtLeastOnce,
                    false,
                    CancellationToken.None);
                using (var ready = new CancellationTokenSource(Inbox.Patience))
                {
                    await subscriber.WaitConnectedAsync(ready.Token);
                }

                await publisher.PublishAsync("sensors/t", "after grant"u8.ToArray(), MqttQualityOfService.AtLeastOnce, false, CancellationToken.None);
                var message = await inbox.NextAsync();

                Assert.Equal("sensors/t", message.Topic);
                Assert.Equal("after grant", Encoding.UTF8.GetString(message.Payload.Span));
                Assert.Empty(subscriber.RefusedSubscriptions);
                Assert.True(subscriber.IsConnected);
                Assert.Equal(0, subscriber.Counters.Reconnects);
                Assert.Equal(0, subscriber.Counters.ConnectFailures);
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
