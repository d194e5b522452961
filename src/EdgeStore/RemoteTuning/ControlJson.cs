using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace EdgeStore.RemoteTuning;

/// <summary>
/// How EdgeStore writes the JSON of its control topics and state file: UTF-8 without HTML-oriented escaping (these
/// documents go to MQTT consumers and files, never into a web page), and times as ISO 8601 UTC with a `Z`.
/// </summary>
internal static class ControlJson
{
    public static readonly JsonSerializerOptions Compact = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static readonly JsonSerializerOptions Indented = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, WriteIndented = true };

    public static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
