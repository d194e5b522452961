using System.Text;
using System.Text.Json;
using EdgeStore.Query;
using EdgeStore.Storage;

namespace EdgeStore.Tests.Query;

public sealed class QueryOutputTests
{
    private static readonly DateTimeOffset Received = new(2026, 5, 1, 12, 0, 0, 123, TimeSpan.Zero);

    private static readonly StoredMessage Reading = new(
        7, "sensors/dev-0001/telemetry", Received, Received.AddMilliseconds(-23), 42, 1, false, Encoding.UTF8.GetBytes("""{"seq":42,"t":21.5}"""));

    private static readonly StoredMessage Odd = new(
        1234, "plant/a,b", Received.AddHours(2), null, null, 0, true, Encoding.UTF8.GetBytes("say \"hi\",\r\nbye"));

    private static readonly StoredMessage Binary = new(8, "raw", Received, null, null, 2, false, [0xff, 0x00, 0x10]);

    [Fact]
    public void Jsonl_writes_one_object_per_line_in_the_contract_shape_with_json_payloads_embedded()
    {
        var lines = Render(QueryOutputFormat.Jsonl, Reading, Odd, Binary).Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(3, lines.Length);
        Assert.Equal(
            """{"id":7,"topic":"sensors/dev-0001/telemetry","receivedAt":"2026-05-01T12:00:00.123Z","deviceTs":"2026-05-01T12:00:00.100Z","seq":42,"qos":1,"retain":false,"payload":{"seq":42,"t":21.5}}""",
            lines[0]);
        using var odd = JsonDocument.Parse(lines[1]);
        Assert.Equal(JsonValueKind.Null, odd.RootElement.GetProperty("deviceTs").ValueKind);
        Assert.Equal(JsonValueKind.Null, odd.RootElement.GetProperty("seq").ValueKind);
        Assert.True(odd.RootElement.GetProperty("retain").GetBoolean());
        Assert.Equal("say \"hi\",\r\nbye", odd.RootElement.GetProperty("payload").GetString());
        using var binary = JsonDocument.Parse(lines[2]);
        Assert.Equal("base64:/wAQ", binary.RootElement.GetProperty("payload").GetString());
    }

    [Fact]
    public void Csv_follows_rfc_4180()
    {
        var csv = Render(QueryOutputFormat.Csv, Reading, Odd);

        Assert.Equal(
            "id,topic,received_at,device_ts,seq,qos,retain,payload\r\n"
            + "7,sensors/dev-0001/telemetry,2026-05-01T12:00:00.123Z,2026-05-01T12:00:00.100Z,42,1,false,\"{\"\"seq\"\":42,\"\"t\"\":21.5}\"\r\n"
            + "1234,\"plant/a,b\",2026-05-01T14:00:00.123Z,,,0,true,\"say \"\"hi\"\",\r\nbye\"\r\n",
            csv);
    }

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("a,b", "\"a,b\"")]
    [InlineData("a\"b", "\"a\"\"b\"")]
    [InlineData("a\nb", "\"a\nb\"")]
    [InlineData("", "")]
    public void Csv_quotes_only_fields_that_need_it(string field, string expected)
    {
        Assert.Equal(expected, CsvQueryOutput.Escape(field));
    }

    [Fact]
    public void Table_aligns_every_column_and_keeps_payloads_on_one_line()
    {
        var lines = Render(QueryOutputFormat.Table, Reading, Odd, Binary).Split('\n', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(4, lines.Length);
        Assert.StartsWith("  ID  TOPIC", lines[0], StringComparison.Ordinal);
        var payloadColumn = lines[0].IndexOf("PAYLOAD", StringComparison.Ordinal);
        var topicColumn = lines[0].IndexOf("TOPIC", StringComparison.Ordinal);
        Assert.Equal("{\"seq\":42,\"t\":21.5}", lines[1][payloadColumn..]);
        Assert.Equal("say \"hi\",\\r\\nbye", lines[2][payloadColumn..]);
        Assert.Equal("base64:/wAQ", lines[3][payloadColumn..]);
        Assert.Equal("sensors/dev-0001/telemetry", lines[1][topicColumn..].Split("  ")[0]);
        Assert.Equal("   7", lines[1][..4]);
        Assert.Equal("1234", lines[2][..4]);
        Assert.Contains("  -  ", lines[2], StringComparison.Ordinal);
    }

    [Fact]
    public void Table_with_no_rows_prints_the_header()
    {
        var output = Render(QueryOutputFormat.Table);

        Assert.Equal("ID  TOPIC  RECEIVED AT  DEVICE TS  SEQ  QOS  RETAIN  PAYLOAD\n", output);
    }

    [Fact]
    public void Table_cuts_long_payloads()
    {
        var line = TableQueryOutput.OneLine(new string('x', 500));

        Assert.Equal(TableQueryOutput.MaxTextChars + 1, line.Length);
        Assert.EndsWith("x…", line, StringComparison.Ordinal);
    }

    [Fact]
    public void Payload_text_is_utf8_or_unambiguous_base64()
    {
        Assert.Equal("grüße", PayloadText.Of(Encoding.UTF8.GetBytes("grüße")));
        Assert.Equal("base64:wyg=", PayloadText.Of([0xc3, 0x28]));
        Assert.Equal("base64:" + Convert.ToBase64String(Encoding.UTF8.GetBytes("base64:abc")), PayloadText.Of(Encoding.UTF8.GetBytes("base64:abc")));
    }

    [Theory]
    [InlineData("temp", true)]
    [InlineData("env.temp", true)]
    [InlineData("values[0]", true)]
    [InlineData("[0]", true)]
    [InlineData("a.b[2][1].c", true)]
    [InlineData("", false)]
    [InlineData("a..b", false)]
    [InlineData(".a", false)]
    [InlineData("a.", false)]
    [InlineData("a[x]", false)]
    [InlineData("a[-1]", false)]
    [InlineData("a[0", false)]
    [InlineData("a]b", false)]
    [InlineData("a[0]b", false)]
    [InlineData("a.[0]", false)]
    public void Field_paths_are_names_and_array_indexes(string text, bool valid)
    {
        Assert.Equal(valid, JsonFieldPath.TryParse(text, out _));
    }

    [Fact]
    public void A_field_path_finds_nested_values_and_nothing_where_the_payload_has_none()
    {
        using var document = JsonDocument.Parse("""{"env":{"temp":19.25},"values":[3,[4,5]],"s":"x"}""");
        string? Find(string path) => JsonFieldPath.TryParse(path, out var parsed) ? parsed!.Find(document.RootElement)?.GetRawText() : "invalid";

        Assert.Equal("19.25", Find("env.temp"));
        Assert.Equal("5", Find("values[1][1]"));
        Assert.Null(Find("values[2]"));
        Assert.Null(Find("s.length"));
        Assert.Null(Find("missing"));
    }

    private static string Render(QueryOutputFormat format, params StoredMessage[] messages)
    {
        var writer = new StringWriter();
        var output = QueryOutput.Create(format, writer, MessageRows.Columns);
        var rows = new MessageRows(OutputTime.Utc, embedJsonPayloads: format == QueryOutputFormat.Jsonl);
        foreach (var message in messages)
        {
            output.Write(rows.Cells(message));
        }

        Assert.Equal(messages.Length, output.Complete());
        return writer.ToString();
    }
}
