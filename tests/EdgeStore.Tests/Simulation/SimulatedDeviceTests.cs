using System.Text.Json;
using EdgeStore.Decoding;
using EdgeStore.Simulation;

namespace EdgeStore.Tests.Simulation;

public sealed class SimulatedDeviceTests
{
    [Fact]
    public void Readings_carry_a_sequence_from_1_and_the_timestamp()
    {
        var device = new SimulatedDevice(7, "sensors", seed: 7);

        var first = JsonDocument.Parse(device.NextPayload(1_700_000_000_000)).RootElement;
        var second = JsonDocument.Parse(device.NextPayload(1_700_000_000_500)).RootElement;

        Assert.Equal("dev-0007", device.Id);
        Assert.Equal("sensors/dev-0007/telemetry", device.Topic);
        Assert.Equal(1, first.GetProperty("seq").GetInt64());
        Assert.Equal(2, second.GetProperty("seq").GetInt64());
        Assert.Equal(1_700_000_000_500, second.GetProperty("ts").GetInt64());
        Assert.InRange(second.GetProperty("temperature").GetDouble(), -20, 50);
        Assert.InRange(second.GetProperty("humidity").GetDouble(), 5, 95);
        Assert.InRange(second.GetProperty("battery").GetDouble(), 3.0, 4.3);
    }

    [Fact]
    public void The_decoder_reads_what_the_simulator_writes()
    {
        var device = new SimulatedDevice(1, "sensors", seed: 1);
        var decoded = new PayloadDecoder([]).Decode(device.Topic, device.NextPayload(1_700_000_000_123), contentType: null);

        Assert.Equal(new DecodedPayload(PayloadKind.JsonObject, 1_700_000_000_123, 1, null), decoded);
    }

    [Fact]
    public void Malformed_payloads_do_not_parse_and_do_not_use_a_sequence_number()
    {
        var device = new SimulatedDevice(1, "sensors", seed: 1);
        device.NextPayload(1);

        var malformed = device.MalformedPayload();
        var next = JsonDocument.Parse(device.NextPayload(2)).RootElement;

        Assert.ThrowsAny<JsonException>(() => JsonDocument.Parse(malformed));
        Assert.Equal(2, next.GetProperty("seq").GetInt64());
        Assert.Equal(PayloadKind.Quarantined, new PayloadDecoder(["sensors/#"]).Decode(device.Topic, malformed, null).Kind);
    }
}
