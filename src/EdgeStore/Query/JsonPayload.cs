using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace EdgeStore.Query;

/// <summary>
/// A payload read as a JSON document, for `--field` and for embedding payloads in JSON lines. Only objects and arrays
/// count: a payload such as `21.5` or `OK` stays text, so a JSON lines reader can tell an embedded document (an object
/// or array) from a payload shown as text (a string) without guessing.
/// </summary>
internal static class JsonPayload
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 64 };
    private static readonly JsonWriterOptions CompactOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false };

    /// <summary>The payload as a JSON object or array, or null when it is anything else (including invalid UTF-8).</summary>
    public static JsonDocument? TryParse(byte[] payload)
    {
        var start = 0;
        while (start < payload.Length && payload[start] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
        {
            start++;
        }

        if (start == payload.Length || payload[start] is not ((byte)'{' or (byte)'['))
        {
            return null;
        }

        try
        {
            return JsonDocument.Parse(payload, DocumentOptions);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The value as JSON on one line (a pretty-printed payload would otherwise break a JSON lines row).</summary>
    public static string Compact(JsonElement value)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, CompactOptions))
        {
            value.WriteTo(writer);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>A value found in a payload as an output cell: numbers stay numbers, strings strings, null no value.</summary>
    public static OutputCell Cell(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Number => OutputCell.JsonNumber(value.GetRawText()),
        JsonValueKind.String => OutputCell.Of(value.GetString()!),
        JsonValueKind.True => OutputCell.Of(true),
        JsonValueKind.False => OutputCell.Of(false),
        JsonValueKind.Object or JsonValueKind.Array => Embedded(value),
        _ => OutputCell.Null,
    };

    private static OutputCell Embedded(JsonElement value)
    {
        var compact = Compact(value);
        return OutputCell.JsonValue(compact, compact);
    }
}
