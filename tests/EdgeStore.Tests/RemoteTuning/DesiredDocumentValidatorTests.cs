using System.Text;
using EdgeStore.RemoteTuning;

namespace EdgeStore.Tests.RemoteTuning;

public sealed class DesiredDocumentValidatorTests
{
    private const int Limit = 64 * 1024;

    private static DesiredDocumentCheck Check(string json) => DesiredDocumentValidator.Check(Encoding.UTF8.GetBytes(json), Limit);

    private static void AssertRejected(string json, string path, string code)
    {
        var check = Check(json);
        Assert.False(check.IsValid, $"expected {json} to be rejected");
        Assert.Contains(check.Errors, e => e.Path == path && e.Code == code);
    }

    [Fact]
    public void A_nested_partial_document_is_valid_and_normalized()
    {
        var check = Check("""{"version": 42, "config": {"ingest": {"maxBatchRows": 500}, "storage": {"durability": "full"}, "logging": {"level": "debug"}}}""");

        Assert.True(check.IsValid, string.Join("; ", check.Errors));
        Assert.Equal(42, check.Document!.Version);
        Assert.Equal(500, check.Document.Changes["ingest.maxBatchRows"]!.GetValue<long>());
        Assert.Equal("Full", check.Document.Changes["storage.durability"]!.GetValue<string>());
        Assert.Equal("Debug", check.Document.Changes["logging.level"]!.GetValue<string>());
        Assert.Equal(3, check.Document.Changes.Count);
    }

    [Fact]
    public void Dotted_keys_and_null_removals_are_accepted()
    {
        var check = Check("""{"version": 1, "config": {"ingest.maxBatchLatencyMs": 50, "retention.messagesDays": null}}""");

        Assert.True(check.IsValid, string.Join("; ", check.Errors));
        Assert.Equal(50, check.Document!.Changes["ingest.maxBatchLatencyMs"]!.GetValue<long>());
        Assert.True(check.Document.Changes.ContainsKey("retention.messagesDays"));
        Assert.Null(check.Document.Changes["retention.messagesDays"]);
    }

    [Fact]
    public void Every_error_of_a_document_is_collected_at_once()
    {
        var check = Check("""
            {"version": 7, "config": {
              "ingest": {"maxBatchRows": "500", "maxBatchLatencyMs": 0, "queueCapacity": 10, "bogus": 1},
              "storage": {"path": "/tmp/other.db", "cacheSizeMiB": 1.5},
              "mqtt": {"host": "evil.example"},
              "node": {"id": "other"},
              "nonsense": {}}}
            """);

        Assert.False(check.IsValid);
        Assert.Equal(7, check.Version);
        Assert.Contains(check.Errors, e => e is { Path: "ingest.maxBatchRows", Code: "wrong_type" });
        Assert.Contains(check.Errors, e => e is { Path: "ingest.maxBatchLatencyMs", Code: "out_of_range" });
        Assert.Contains(check.Errors, e => e is { Path: "ingest.queueCapacity", Code: "not_tunable" });
        Assert.Contains(check.Errors, e => e is { Path: "ingest.bogus", Code: "unknown_field" });
        Assert.Contains(check.Errors, e => e is { Path: "storage.path", Code: "not_tunable" });
        Assert.Contains(check.Errors, e => e is { Path: "storage.cacheSizeMiB", Code: "wrong_type" });
        Assert.Contains(check.Errors, e => e is { Path: "mqtt.host", Code: "not_tunable" });
        Assert.Contains(check.Errors, e => e is { Path: "node.id", Code: "not_tunable" });
        Assert.Contains(check.Errors, e => e is { Path: "nonsense", Code: "unknown_field" });
        Assert.Equal(9, check.Errors.Count);
    }

    [Theory]
    [InlineData("not json at all", "", "not_json")]
    [InlineData("{\"version\": 1, \"config\": {}", "", "not_json")]
    [InlineData("[1,2]", "", "not_an_object")]
    [InlineData("{\"config\": {}}", "version", "missing_field")]
    [InlineData("{\"version\": 1}", "config", "missing_field")]
    [InlineData("{\"version\": \"1\", \"config\": {}}", "version", "wrong_type")]
    [InlineData("{\"version\": 0, \"config\": {}}", "version", "out_of_range")]
    [InlineData("{\"version\": -5, \"config\": {}}", "version", "out_of_range")]
    [InlineData("{\"version\": 1e300, \"config\": {}}", "version", "out_of_range")]
    [InlineData("{\"version\": 1, \"config\": []}", "config", "wrong_type")]
    [InlineData("{\"version\": 1, \"config\": {}, \"extra\": true}", "extra", "unknown_field")]
    [InlineData("{\"version\": 1, \"version\": 2, \"config\": {}}", "version", "duplicate_field")]
    [InlineData("{\"version\": 1, \"config\": {\"storage\": 5}}", "storage", "wrong_type")]
    [InlineData("{\"version\": 1, \"config\": {\"storage\": {\"mmapSizeMiB\": -1}}}", "storage.mmapSizeMiB", "out_of_range")]
    [InlineData("{\"version\": 1, \"config\": {\"storage\": {\"mmapSizeMiB\": 99999999999999999999999}}}", "storage.mmapSizeMiB", "out_of_range")]
    [InlineData("{\"version\": 1, \"config\": {\"storage\": {\"durability\": \"Sometimes\"}}}", "storage.durability", "invalid_value")]
    [InlineData("{\"version\": 1, \"config\": {\"storage\": {\"durability\": 1}}}", "storage.durability", "wrong_type")]
    [InlineData("{\"version\": 1, \"config\": {\"logging\": {\"level\": \"None\"}}}", "logging.level", "invalid_value")]
    [InlineData("{\"version\": 1, \"config\": {\"ingest\": {\"maxBatchRows\": 0}}}", "ingest.maxBatchRows", "out_of_range")]
    [InlineData("{\"version\": 1, \"config\": {\"ingest\": {\"maxBatchRows\": true}}}", "ingest.maxBatchRows", "wrong_type")]
    [InlineData("{\"version\": 1, \"config\": {\"metrics\": {\"intervalSeconds\": 1}}}", "metrics.intervalSeconds", "out_of_range")]
    [InlineData("{\"version\": 1, \"config\": {\"mqtt\": {\"password\": \"x\"}}}", "mqtt.password", "not_tunable")]
    [InlineData("{\"version\": 1, \"config\": {\"remoteTuning\": {\"maxDocumentBytes\": 99999999}}}", "remoteTuning.maxDocumentBytes", "not_tunable")]
    [InlineData("{\"version\": 1, \"config\": {\"ingest\": {\"maxBatchRows\": 5}, \"ingest.maxBatchRows\": 6}}", "ingest.maxBatchRows", "duplicate_field")]
    [InlineData("{\"version\": 1, \"config\": {\"maintenance\": {\"windows\": {}}}}", "maintenance.windows", "wrong_type")]
    [InlineData("{\"version\": 1, \"config\": {\"maintenance\": {\"windows\": [{\"start\": \"25:00\", \"duration\": \"2h\"}]}}}", "maintenance.windows[0].start", "invalid_value")]
    [InlineData("{\"version\": 1, \"config\": {\"maintenance\": {\"windows\": [{\"start\": \"01:00\", \"duration\": \"25h\"}]}}}", "maintenance.windows[0].duration", "invalid_value")]
    [InlineData("{\"version\": 1, \"config\": {\"maintenance\": {\"windows\": [{\"start\": \"01:00\", \"duration\": \"1h\", \"days\": \"Funday\"}]}}}", "maintenance.windows[0].days", "invalid_value")]
    [InlineData("{\"version\": 1, \"config\": {\"maintenance\": {\"windows\": [{\"duration\": \"1h\"}]}}}", "maintenance.windows[0].start", "missing_field")]
    [InlineData("{\"version\": 1, \"config\": {\"maintenance\": {\"windows\": [{\"start\": \"01:00\", \"duration\": \"1h\", \"when\": 1}]}}}", "maintenance.windows[0].when", "unknown_field")]
    public void Bad_documents_are_rejected_with_the_path_and_the_code(string json, string path, string code) => AssertRejected(json, path, code);

    [Fact]
    public void An_oversized_document_is_refused_before_parsing()
    {
        var big = "{\"version\": 1, \"config\": {\"x\": \"" + new string('a', 1024 * 1024) + "\"}}";
        var check = DesiredDocumentValidator.Check(Encoding.UTF8.GetBytes(big), Limit);

        var error = Assert.Single(check.Errors);
        Assert.Equal("too_large", error.Code);
        Assert.Null(check.Version);
    }

    [Fact]
    public void Deep_nesting_is_refused_as_not_json()
    {
        var deep = "{\"version\": 1, \"config\": " + string.Concat(Enumerable.Repeat("{\"a\":", 100)) + "1" + new string('}', 100) + "}";
        AssertRejected(deep, string.Empty, "not_json");
    }

    [Fact]
    public void Windows_are_normalized()
    {
        var check = Check("""{"version": 3, "config": {"maintenance": {"windows": [{"start": "23:30", "duration": "1H30M", "days": "sat-mon"}]}}}""");

        Assert.True(check.IsValid, string.Join("; ", check.Errors));
        Assert.Equal("""[{"start":"23:30","duration":"1h30m","days":"Sat-Mon"}]""", check.Document!.Changes["maintenance.windows"]!.ToJsonString());
    }

    [Fact]
    public void Error_messages_do_not_echo_long_hostile_text()
    {
        var hostile = new string('x', 5000);
        var check = Check("{\"version\": 1, \"config\": {\"" + hostile + "\": {}, \"logging\": {\"level\": \"" + hostile + "\"}}}");

        Assert.False(check.IsValid);
        Assert.All(check.Errors, e => Assert.True(e.Path.Length + e.Message.Length < 400, $"{e.Path}: {e.Message.Length} chars"));
    }
}
