using System.Text;
using EdgeStore.Decoding;

namespace EdgeStore.Tests.Decoding;

public sealed class PayloadDecoderTests
{
    private static readonly PayloadDecoder Decoder = new(["strict/#"]);

    [Theory]
    [InlineData("""{"ts":1700000000,"v":1}""", 1_700_000_000_000)]
    [InlineData("""{"ts":1700000000.25}""", 1_700_000_000_250)]
    [InlineData("""{"ts":1700000000123}""", 1_700_000_000_123)]
    [InlineData("""{"timestamp":1700000000123}""", 1_700_000_000_123)]
    [InlineData("""{"ts":"2023-11-14T22:13:20Z"}""", 1_700_000_000_000)]
    [InlineData("""{"ts":"2023-11-14T22:13:20.5+01:00"}""", 1_699_996_400_500)]
    [InlineData("""{"ts":"2023-11-14T22:13:20"}""", 1_700_000_000_000)]
    public void Device_timestamps_in_seconds_milliseconds_and_iso_8601(string json, long expectedUnixMs)
    {
        var decoded = Decode("sensors/a", json);

        Assert.Equal(PayloadKind.JsonObject, decoded.Kind);
        Assert.Equal(expectedUnixMs, decoded.DeviceTimestampUnixMs);
        Assert.Null(decoded.QuarantineReason);
    }

    [Theory]
    [InlineData(99_999_999_999.0, 99_999_999_999_000)]
    [InlineData(100_000_000_000.0, 100_000_000_000)]
    [InlineData(99_999_999_999_999.0, 99_999_999_999_999)]
    public void Numeric_timestamps_switch_from_seconds_to_milliseconds_at_1e11(double value, long expected)
    {
        Assert.Equal(expected, PayloadDecoder.NumericTimestampToUnixMs(value));
    }

    [Theory]
    [InlineData("""{"ts":0}""")]
    [InlineData("""{"ts":-5}""")]
    [InlineData("""{"ts":1e15}""")]
    [InlineData("""{"ts":"yesterday"}""")]
    [InlineData("""{"ts":true}""")]
    [InlineData("""{"ts":{"s":1}}""")]
    [InlineData("""{"nested":{"ts":1700000000}}""")]
    public void Unusable_or_nested_timestamps_leave_the_device_timestamp_empty(string json)
    {
        var decoded = Decode("sensors/a", json);

        Assert.Equal(PayloadKind.JsonObject, decoded.Kind);
        Assert.Null(decoded.DeviceTimestampUnixMs);
    }

    [Fact]
    public void Sequence_and_timestamp_are_read_whatever_the_field_order_and_nesting_around_them()
    {
        var decoded = Decode("sensors/a", """{ "values": [1, {"seq": 99}], "seq": 42, "meta": {"ts": 1}, "ts": 1700000000 }""");

        Assert.Equal(42, decoded.DeviceSequence);
        Assert.Equal(1_700_000_000_000, decoded.DeviceTimestampUnixMs);
    }

    [Theory]
    [InlineData("""{"seq":1.5}""")]
    [InlineData("""{"seq":"7"}""")]
    [InlineData("""{"seq":99999999999999999999}""")]
    public void A_sequence_that_is_not_an_integer_is_ignored(string json)
    {
        var decoded = Decode("sensors/a", json);

        Assert.Equal(PayloadKind.JsonObject, decoded.Kind);
        Assert.Null(decoded.DeviceSequence);
    }

    [Theory]
    [InlineData("21.5")]
    [InlineData(" -3e2\n")]
    [InlineData("0")]
    public void Plain_numbers_are_recognised_and_carry_no_metadata(string payload)
    {
        Assert.Equal(new DecodedPayload(PayloadKind.Number, null, null, null), Decode("sensors/a", payload));
    }

    [Theory]
    [InlineData("ON")]
    [InlineData("")]
    [InlineData("[1,2]")]
    [InlineData("{not json at all")]
    [InlineData("""{"seq":1} trailing""")]
    public void Anything_else_without_a_json_claim_is_stored_raw(string payload)
    {
        Assert.Equal(new DecodedPayload(PayloadKind.Raw, null, null, null), Decode("sensors/a", payload));
    }

    [Fact]
    public void Binary_payloads_are_stored_raw()
    {
        var decoded = Decoder.Decode("sensors/a", new byte[] { 0xff, 0x00, 0x7b, 0xfe }, contentType: null);

        Assert.Equal(PayloadKind.Raw, decoded.Kind);
        Assert.Null(decoded.QuarantineReason);
    }

    [Fact]
    public void Claimed_json_that_does_not_parse_is_quarantined_with_the_position_and_reason()
    {
        var decoded = Decode("strict/line-1", """{"seq":1,"temp":}""");

        Assert.Equal(PayloadKind.Quarantined, decoded.Kind);
        Assert.StartsWith("invalid JSON at byte 17: ", decoded.QuarantineReason, StringComparison.Ordinal);
        Assert.DoesNotContain("LineNumber", decoded.QuarantineReason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_multi_line_payload_reports_the_line()
    {
        var decoded = Decode("strict/a", "{\n\"a\": 1,\n\"b\": tru\n}");

        Assert.StartsWith("invalid JSON at line 3, byte ", decoded.QuarantineReason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("application/json")]
    [InlineData("Application/JSON; charset=utf-8")]
    [InlineData("application/vnd.acme.reading+json")]
    public void A_json_content_type_claims_json(string contentType)
    {
        var decoded = Decoder.Decode("sensors/a", "ON"u8, contentType);

        Assert.Equal(PayloadKind.Quarantined, decoded.Kind);
        Assert.StartsWith("invalid JSON at byte 1: ", decoded.QuarantineReason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", "empty payload where JSON is expected")]
    [InlineData("  \n", "blank payload where JSON is expected")]
    [InlineData("""{"a":1}{"b":2}""", null)]
    public void Empty_blank_and_concatenated_claimed_json_is_quarantined(string payload, string? reasonStart)
    {
        var decoded = Decode("strict/a", payload);

        Assert.Equal(PayloadKind.Quarantined, decoded.Kind);
        Assert.StartsWith(reasonStart ?? "invalid JSON at byte 8: ", decoded.QuarantineReason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("[1,2,3]", "JsonValue")]
    [InlineData("\"text\"", "JsonValue")]
    [InlineData("null", "JsonValue")]
    [InlineData("42", "Number")]
    public void Claimed_json_that_is_valid_but_not_an_object_is_stored(string payload, string kind)
    {
        Assert.Equal(new DecodedPayload(Enum.Parse<PayloadKind>(kind), null, null, null), Decode("strict/a", payload));
    }

    [Fact]
    public void A_valid_object_on_a_json_topic_is_decoded_normally()
    {
        Assert.Equal(new DecodedPayload(PayloadKind.JsonObject, 1_700_000_000_000, 3, null), Decode("strict/a", """{"seq":3,"ts":1700000000}"""));
    }

    [Fact]
    public void Json_topics_use_mqtt_filter_matching()
    {
        var decoder = new PayloadDecoder(["plant/+/json"]);

        Assert.True(decoder.ClaimsJson("plant/line-1/json", null));
        Assert.False(decoder.ClaimsJson("plant/line-1/raw", null));
        Assert.False(decoder.ClaimsJson("plant/a/b/json", null));
        Assert.False(decoder.ClaimsJson("plant/line-1/raw", "text/plain"));
    }

    private static DecodedPayload Decode(string topic, string payload) => Decoder.Decode(topic, Encoding.UTF8.GetBytes(payload), contentType: null);
}
