using System.Buffers.Text;
using System.Text.Json;
using EdgeStore.Mqtt;

namespace EdgeStore.Decoding;

/// <summary>
/// Reads the two facts EdgeStore indexes from a telemetry payload, the device timestamp and the device sequence, and
/// decides whether a payload belongs in quarantine (docs/ARCHITECTURE.md, C5: bad input never stops ingestion).
/// <list type="bullet">
/// <item>A JSON object: top-level `ts` or `timestamp` (epoch seconds, epoch milliseconds or an ISO-8601 string) and
/// top-level `seq` (an integer). Other fields are not looked at; nested values are skipped.</item>
/// <item>A plain number, and anything else: stored raw, with no device timestamp or sequence.</item>
/// <item>A payload that claims to be JSON (MQTT 5 content type `application/json` or `…+json`, or a topic matching a
/// Decoder:JsonTopics filter) but does not parse: quarantined with the parser's reason and position.</item>
/// <item>A payload that starts with `{` but does not parse and claims nothing: stored raw. Devices send all kinds of
/// text; without a claim EdgeStore cannot tell a broken JSON document from a text format that merely starts with a brace,
/// and storing it losslessly is the safe choice.</item>
/// </list>
/// Numeric timestamps: a value below 100,000,000,000 is epoch seconds (fractions kept to the millisecond), one from
/// there up to 100,000,000,000,000 is epoch milliseconds. The cut-off is 5138-11-16 in seconds and 1973-03-03 in
/// milliseconds, so no real device clock falls on the wrong side. Zero, negative and larger values are not a usable
/// clock and leave the device timestamp empty. ISO-8601 strings without an offset are taken as UTC.
/// The happy path allocates nothing: Utf8JsonReader over the payload span, property names compared as UTF-8.
/// </summary>
internal sealed class PayloadDecoder
{
    public const long SecondsMillisecondsCutoff = 100_000_000_000;
    public const long MillisecondsUpperBound = 100_000_000_000_000;

    private static readonly JsonReaderOptions ReaderOptions = new() { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 64 };

    private readonly string[] _jsonTopicFilters;

    public PayloadDecoder(IEnumerable<string> jsonTopicFilters)
    {
        _jsonTopicFilters = [.. jsonTopicFilters];
    }

    public DecodedPayload Decode(string topic, ReadOnlySpan<byte> payload, string? contentType)
    {
        var claimsJson = ClaimsJson(topic, contentType);
        var start = SkipWhitespace(payload);
        if (start == payload.Length)
        {
            return claimsJson
                ? Quarantine(payload.Length == 0 ? "empty payload where JSON is expected" : "blank payload where JSON is expected")
                : default;
        }

        var first = payload[start];
        if (first == (byte)'{')
        {
            return DecodeObject(payload, claimsJson);
        }

        if (!claimsJson)
        {
            return IsPlainNumber(payload[start..]) ? new DecodedPayload(PayloadKind.Number, null, null, null) : default;
        }

        // Claimed JSON that is not an object: valid JSON is stored as it is, anything else goes to quarantine.
        try
        {
            var reader = new Utf8JsonReader(payload, ReaderOptions);
            while (reader.Read())
            {
                reader.Skip();
            }

            return new DecodedPayload(IsPlainNumber(payload[start..]) ? PayloadKind.Number : PayloadKind.JsonValue, null, null, null);
        }
        catch (JsonException e)
        {
            return Quarantine(InvalidJson(e));
        }
    }

    /// <summary>True when the message says its payload is JSON, by content type or by a configured topic rule.</summary>
    public bool ClaimsJson(string topic, string? contentType)
    {
        if (contentType is not null && IsJsonContentType(contentType))
        {
            return true;
        }

        foreach (var filter in _jsonTopicFilters)
        {
            if (MqttTopicFilter.Matches(filter, topic))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// Converts a numeric device timestamp to epoch milliseconds by magnitude (see the class comment), or null when it
    /// is not a usable clock value.
    /// </summary>
    public static long? NumericTimestampToUnixMs(double value)
    {
        if (double.IsNaN(value) || value <= 0)
        {
            return null;
        }

        if (value < SecondsMillisecondsCutoff)
        {
            return (long)Math.Round(value * 1000, MidpointRounding.AwayFromZero);
        }

        return value < MillisecondsUpperBound ? (long)Math.Round(value, MidpointRounding.AwayFromZero) : null;
    }

    private static DecodedPayload DecodeObject(ReadOnlySpan<byte> payload, bool claimsJson)
    {
        long? timestamp = null;
        long? sequence = null;
        try
        {
            var reader = new Utf8JsonReader(payload, ReaderOptions);
            reader.Read(); // StartObject: the caller saw the '{'.
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isTimestamp = reader.ValueTextEquals("ts"u8) || reader.ValueTextEquals("timestamp"u8);
                var isSequence = !isTimestamp && reader.ValueTextEquals("seq"u8);
                reader.Read();
                if (isTimestamp && timestamp is null)
                {
                    timestamp = ReadTimestamp(ref reader);
                }
                else if (isSequence && sequence is null && reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var seq))
                {
                    sequence = seq;
                }

                reader.Skip();
            }

            // Anything after the closing brace other than whitespace makes the reader throw here.
            while (reader.Read())
            {
                reader.Skip();
            }

            return new DecodedPayload(PayloadKind.JsonObject, timestamp, sequence, null);
        }
        catch (JsonException e)
        {
            return claimsJson ? Quarantine(InvalidJson(e)) : default;
        }
    }

    private static long? ReadTimestamp(ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Number:
                if (reader.TryGetInt64(out var whole))
                {
                    return NumericTimestampToUnixMs(whole);
                }

                return reader.TryGetDouble(out var fractional) ? NumericTimestampToUnixMs(fractional) : null;

            case JsonTokenType.String:
                if (reader.TryGetDateTime(out var dateTime))
                {
                    // Unspecified (no offset in the text) is taken as UTC; Local means the text had an offset and the
                    // reader converted it to local time, which ToUniversalTime undoes exactly.
                    var utc = dateTime.Kind switch
                    {
                        DateTimeKind.Unspecified => DateTime.SpecifyKind(dateTime, DateTimeKind.Utc),
                        DateTimeKind.Local => dateTime.ToUniversalTime(),
                        _ => dateTime,
                    };
                    return new DateTimeOffset(utc).ToUnixTimeMilliseconds();
                }

                return null;

            default:
                return null;
        }
    }

    private static bool IsJsonContentType(string contentType)
    {
        // "application/json", "application/json; charset=utf-8", "application/vnd.x+json".
        var semicolon = contentType.IndexOf(';', StringComparison.Ordinal);
        var mediaType = (semicolon >= 0 ? contentType[..semicolon] : contentType).Trim();
        return mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase);
    }

    private static bool IsPlainNumber(ReadOnlySpan<byte> text)
    {
        var end = text.Length;
        while (end > 0 && IsJsonWhitespace(text[end - 1]))
        {
            end--;
        }

        return end > 0 && Utf8Parser.TryParse(text[..end], out double _, out var consumed, 'G') && consumed == end;
    }

    private static int SkipWhitespace(ReadOnlySpan<byte> payload)
    {
        var i = 0;
        while (i < payload.Length && IsJsonWhitespace(payload[i]))
        {
            i++;
        }

        return i;
    }

    private static bool IsJsonWhitespace(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n';

    private static string InvalidJson(JsonException e) => $"invalid JSON at {JsonErrorText.Position(e)}: {JsonErrorText.Reason(e)}";

    private static DecodedPayload Quarantine(string reason) => new(PayloadKind.Quarantined, null, null, reason);
}
