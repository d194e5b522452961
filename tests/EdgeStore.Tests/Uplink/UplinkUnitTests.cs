using System.Text;
using System.Text.Json;
using EdgeStore.Configuration;
using EdgeStore.RemoteTuning;
using EdgeStore.Storage.Forwarding;
using EdgeStore.Storage.Maintenance;
using EdgeStore.Tests.Configuration;
using EdgeStore.Uplink;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace EdgeStore.Tests.Uplink;

/// <summary>The uplink's pure parts: settings, the acknowledged prefix, the rate, the message shape, its tunables.</summary>
public sealed class UplinkUnitTests
{
    [Fact]
    public void Uplink_settings_come_from_the_environment_with_node_based_defaults()
    {
        var settings = LoadedSettings.Valid(("Node:Id", "gw-7"), ("Uplink:Enabled", "true"), ("Uplink:Host", "broker.example"), ("Uplink:Port", "8883"));

        Assert.True(settings.Uplink.Enabled);
        Assert.Equal(("broker.example", 8883), (settings.Uplink.Host, settings.Uplink.Port));
        Assert.Equal("edgestore-uplink-gw-7", settings.Uplink.ClientId);
        Assert.Equal("gateways/gw-7", settings.Uplink.TopicPrefix);
        Assert.False(LoadedSettings.Valid().Uplink.Enabled);
    }

    [Fact]
    public void Every_uplink_problem_is_reported_at_once_in_words()
    {
        var errors = LoadedSettings.Errors(
            ("Uplink:Enabled", "true"),
            ("Uplink:TopicPrefix", "gateways/+/x"),
            ("Uplink:Transport", "carrier-pigeon"),
            ("Uplink:MaxInFlight", "0"),
            ("Uplink:Tls:CaFile", "/nonexistent/ca.crt"));

        Assert.Contains("Uplink:Host: must name the upstream broker when Uplink:Enabled is true", errors);
        Assert.Contains(errors, e => e.StartsWith("Uplink:TopicPrefix: must be topic levels without wildcards", StringComparison.Ordinal));
        Assert.Contains("Uplink:Transport: must be Tcp or WebSockets (got 'carrier-pigeon')", errors);
        Assert.Contains("Uplink:MaxInFlight: must be 1..65535 messages (got 0)", errors);
        Assert.Contains("Uplink:Tls:CaFile: file not found (got '/nonexistent/ca.crt')", errors);
        Assert.Contains(errors, e => e.StartsWith("Uplink:Tls:Enabled: must be true", StringComparison.Ordinal));
    }

    [Fact]
    public void The_prefix_ends_below_the_oldest_unacknowledged_row_whatever_the_gaps()
    {
        var prefix = new AcknowledgedPrefix(through: 10);
        foreach (var id in new long[] { 12, 13, 20, 21 })
        {
            prefix.Sent(id);
        }

        Assert.Equal(11, prefix.Through);
        prefix.Acknowledged(13);
        prefix.Acknowledged(20);
        Assert.Equal(11, prefix.Through);
        prefix.Acknowledged(12);
        Assert.Equal(20, prefix.Through);
        prefix.Acknowledged(21);
        Assert.Equal(21, prefix.Through);
        Assert.Throws<InvalidOperationException>(() => prefix.Sent(21));
    }

    [Fact]
    public async Task The_rate_lets_out_a_tenth_of_a_second_at_once_then_paces()
    {
        var time = new FakeTimeProvider();
        var rate = new ForwardingRate(time, () => 100);
        time.Advance(TimeSpan.FromSeconds(5));
        for (var i = 0; i < 10; i++)
        {
            Assert.True(rate.WaitAsync(CancellationToken.None).IsCompletedSuccessfully, $"row {i} of the burst");
        }

        var eleventh = rate.WaitAsync(CancellationToken.None).AsTask();
        Assert.False(eleventh.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(10));
        await eleventh.WaitAsync(TimeSpan.FromSeconds(10));

        var unlimited = new ForwardingRate(time, () => 0);
        for (var i = 0; i < 10_000; i++)
        {
            Assert.True(unlimited.WaitAsync(CancellationToken.None).IsCompletedSuccessfully);
        }
    }

    [Fact]
    public void Mqtt_5_keeps_the_topic_under_the_prefix_and_names_node_id_and_receive_time()
    {
        var row = new ForwardRow(42, "sensors/a/t", "{\"t\":1}"u8.ToArray(), 1_700_000_000_123, null);
        var message = new UplinkMessage("gateways/gw-1", "gw-1", mqtt5: true).Build(row, ForwardStream.Messages);

        Assert.Equal("gateways/gw-1/sensors/a/t", message.Topic);
        Assert.Equal(MQTTnet.Protocol.MqttQualityOfServiceLevel.AtLeastOnce, message.QualityOfServiceLevel);
        Assert.False(message.Retain);
        Assert.Equal(row.Payload, System.Buffers.BuffersExtensions.ToArray(message.Payload));
        Assert.Equal(
            [("edgestore-node", "gw-1"), ("edgestore-id", "42"), ("edgestore-received-ms", "1700000000123")],
            message.UserProperties.Select(p => (p.Name, Encoding.UTF8.GetString(p.ValueBuffer.Span))));

        var quarantined = new UplinkMessage("gateways/gw-1", "gw-1", mqtt5: true).Build(row with { Reason = "invalid JSON" }, ForwardStream.Quarantine);
        Assert.Equal("gateways/gw-1/quarantine/sensors/a/t", quarantined.Topic);
        Assert.Contains(quarantined.UserProperties, p => p.Name == "edgestore-quarantine-reason" && Encoding.UTF8.GetString(p.ValueBuffer.Span) == "invalid JSON");
        Assert.Contains(quarantined.UserProperties, p => p.Name == "edgestore-quarantine-id" && Encoding.UTF8.GetString(p.ValueBuffer.Span) == "42");
        Assert.DoesNotContain(quarantined.UserProperties, p => p.Name == "edgestore-id");

        var v311 = new UplinkMessage("gateways/gw-1", "gw-1", mqtt5: false).Build(row, ForwardStream.Messages);
        Assert.Equal("gateways/gw-1/42/sensors/a/t", v311.Topic);
        Assert.Null(v311.UserProperties);
    }

    [Fact]
    public async Task Remote_tuning_switches_and_re_rates_it_but_cannot_enable_it_without_a_local_broker()
    {
        var state = new UplinkState(new UplinkSettings { Host = "broker.example" }, NullLogger<UplinkState>.Instance);
        var target = new UplinkTuningTarget(state);
        var off = new TunedValues();
        var changed = state.Changed;

        await target.ApplyAsync(off, off with { UplinkEnabled = true, UplinkMaxMessagesPerSecond = 50 }, CancellationToken.None);
        Assert.True(state.Enabled);
        Assert.Equal(50, state.MaxMessagesPerSecond);
        Assert.True(changed.IsCompleted);
        Assert.Equal(UnforwardedRows.Keep, state.RetentionRule(ForwardStream.Messages));
        Assert.Equal(UnforwardedRows.NotForwarded, state.RetentionRule(ForwardStream.Quarantine));

        var nowhere = new UplinkTuningTarget(new UplinkState(new UplinkSettings(), NullLogger<UplinkState>.Instance));
        var refusal = await Assert.ThrowsAsync<InvalidOperationException>(() => nowhere.ApplyAsync(off, off with { UplinkEnabled = true }, CancellationToken.None).AsTask());
        Assert.Contains("Uplink:Host", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_desired_document_must_say_true_or_false_to_enable_the_uplink()
    {
        var setting = TunableSettings.Find("uplink.enabled")!;
        var errors = new List<TuningError>();

        Assert.Null(setting.Check(JsonDocument.Parse("\"yes\"").RootElement, errors));
        Assert.Equal(TuningErrorCode.WrongType, Assert.Single(errors).Code);
        Assert.True(setting.Check(JsonDocument.Parse("true").RootElement, errors)!.GetValue<bool>());
        Assert.Equal("Uplink:MaxMessagesPerSecond", TunableSettings.Find("uplink.maxMessagesPerSecond")!.SettingKey);
    }
}
