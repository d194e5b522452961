using System.Globalization;
using System.Text;

namespace EdgeStore.Tests.RemoteTuning;

/// <summary>
/// A seeded, bounded corpus of desired documents an attacker or a broken tool could send: random bytes, random JSON,
/// the right shape with wrong contents, hostile extremes (deep nesting, long strings, odd keys, odd numbers, too many
/// windows, oversized), and valid documents with random in-range values (with growing versions).
/// </summary>
internal static class HostileDocuments
{
    private static readonly string[] Sections = ["storage", "ingest", "logging", "maintenance", "retention", "metrics", "mqtt", "node", "decoder", "remoteTuning", "memory", "", "__proto__", "storage.mmapSizeMiB"];
    private static readonly string[] Keys = ["mmapSizeMiB", "cacheSizeMiB", "durability", "maxBatchRows", "maxBatchLatencyMs", "windows", "messagesDays", "quarantineDays", "level", "intervalSeconds", "path", "host", "id", "queueCapacity", "x", "MMAPSIZEMIB", "\u0000", "é\u202e"];

    public static IEnumerable<(string Kind, byte[] Payload)> Generate(int seed, int count)
    {
        var random = new Random(seed);
        long version = 0;
        for (var i = 0; i < count; i++)
        {
            var kind = random.Next(6);
            yield return kind switch
            {
                0 => ("bytes", RandomBytes(random)),
                1 => ("json", Utf8(RandomJson(random, 0))),
                2 => ("shape", Utf8($"{{\"version\": {RandomNumber(random)}, \"config\": {RandomConfig(random)}}}")),
                3 => ("valid", Utf8(ValidDocument(random, ++version))),
                4 => ("extreme", Utf8(Extreme(random))),
                _ => ("oversized", Utf8($"{{\"version\": {++version}, \"config\": {{}}, \"pad\": \"{new string('p', random.Next(65 * 1024, 200 * 1024))}\"}}")),
            };
        }
    }

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    private static byte[] RandomBytes(Random random)
    {
        var bytes = new byte[random.Next(0, 2000)];
        random.NextBytes(bytes);
        return bytes;
    }

    private static string RandomNumber(Random random) => random.Next(8) switch
    {
        0 => "0",
        1 => "-1",
        2 => "1.5",
        3 => "9223372036854775808",
        4 => "1e308",
        5 => "\"7\"",
        6 => "null",
        _ => random.Next(1, 1_000_000).ToString(CultureInfo.InvariantCulture),
    };

    private static string RandomValue(Random random, int depth) => random.Next(9) switch
    {
        0 => RandomNumber(random),
        1 => "true",
        2 => "\"" + new string((char)random.Next('a', 'z'), random.Next(0, 50)) + "\"",
        3 => "\"Full\"",
        4 => "\"debug\"",
        5 => depth < 4 ? "[" + string.Join(",", Enumerable.Range(0, random.Next(0, 4)).Select(_ => RandomValue(random, depth + 1))) + "]" : "[]",
        6 => depth < 4 ? RandomObject(random, depth + 1) : "{}",
        7 => """[{"start":"02:00","duration":"2h","days":"Mon-Sun"}]""",
        _ => random.Next(-10, 200_000).ToString(CultureInfo.InvariantCulture),
    };

    private static string RandomObject(Random random, int depth) =>
        "{" + string.Join(",", Enumerable.Range(0, random.Next(0, 5)).Select(_ => $"{Quote(Keys[random.Next(Keys.Length)])}:{RandomValue(random, depth + 1)}")) + "}";

    private static string RandomConfig(Random random) =>
        "{" + string.Join(",", Enumerable.Range(0, random.Next(0, 6)).Select(_ => $"{Quote(Sections[random.Next(Sections.Length)])}:{(random.Next(4) == 0 ? RandomValue(random, 2) : RandomObject(random, 1))}")) + "}";

    private static string RandomJson(Random random, int depth) => random.Next(4) switch
    {
        0 => RandomValue(random, depth),
        1 => RandomObject(random, depth),
        2 => "{\"version\":" + RandomNumber(random),
        _ => "[" + RandomValue(random, depth) + "," + RandomObject(random, depth),
    };

    private static string ValidDocument(Random random, long version)
    {
        var parts = new List<string>();
        if (random.Next(2) == 0)
        {
            parts.Add($"\"ingest\": {{\"maxBatchRows\": {random.Next(1, 5000)}, \"maxBatchLatencyMs\": {random.Next(1, 500)}}}");
        }

        if (random.Next(2) == 0)
        {
            parts.Add($"\"storage\": {{\"mmapSizeMiB\": {random.Next(0, 2_000_000)}, \"cacheSizeMiB\": {random.Next(1, 64)}, \"durability\": \"{(random.Next(2) == 0 ? "Normal" : "Full")}\"}}");
        }

        if (random.Next(2) == 0)
        {
            parts.Add($"\"logging\": {{\"level\": \"{(random.Next(2) == 0 ? "Information" : "Warning")}\"}}");
        }

        if (random.Next(3) == 0)
        {
            parts.Add($"\"retention\": {{\"messagesDays\": {random.Next(0, 36500)}}}, \"metrics\": {{\"intervalSeconds\": {random.Next(5, 600)}}}");
        }

        return $"{{\"version\": {version}, \"config\": {{{string.Join(", ", parts)}}}}}";
    }

    private static string Extreme(Random random) => random.Next(7) switch
    {
        0 => "{\"version\": 1, \"config\": " + string.Concat(Enumerable.Repeat("{\"a\":", 15)) + "1" + new string('}', 15) + "}",
        1 => "{\"version\": 1, \"config\": {\"logging\": {\"level\": \"" + new string('\u00e9', 30_000) + "\"}}}",
        2 => "{\"version\": 1, \"config\": {" + string.Join(",", Enumerable.Range(0, 2000).Select(i => $"\"k{i}\": {{}}")) + "}}",
        3 => "{\"version\": 1, \"config\": {\"maintenance\": {\"windows\": [" + string.Join(",", Enumerable.Repeat("{\"start\":\"01:00\",\"duration\":\"1h\"}", 9)) + "]}}}",
        4 => "{\"version\": 1, \"version\": 2, \"config\": {}, \"config\": {}}",
        5 => "{\"version\": 9007199254740992, \"config\": {}}",
        _ => "{\"version\": 1, \"config\": {\"ingest\": {\"maxBatchRows\": 1e2}, \"\\u0000\": {\"\\ud800\": 1}}}",
    };

    private static string Quote(string text) => System.Text.Json.JsonSerializer.Serialize(text);
}
