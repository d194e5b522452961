using System.Buffers;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace EdgeStore.RemoteTuning;

/// <summary>
/// How EdgeStore writes the JSON of its control topics and state file: UTF-8 without HTML-oriented escaping (these
/// documents go to MQTT consumers and files, never into a web page), and times as ISO 8601 UTC with a `Z`.
/// </summary>
internal static class ControlJson
{
    public static readonly JsonSerializerOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static readonly JsonSerializerOptions Indented = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, WriteIndented = true };

    /// <summary>
    /// A document as UTF-8 bytes, written node by node (no serializer, so nothing depends on reflection or generated
    /// code: safe under Native AOT and trimming).
    /// </summary>
    public static byte[] ToUtf8(JsonNode node, bool indented = false)
    {
        ArgumentNullException.ThrowIfNull(node);
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = indented }))
        {
            node.WriteTo(writer);
        }

        return buffer.WrittenSpan.ToArray();
    }

    public static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
