using System.CommandLine;
using EdgeStore.Configuration;
using EdgeStore.Mqtt;
using EdgeStore.Query;

namespace EdgeStore.Commands;

/// <summary>
/// `edgestore topics [--topic FILTER] [--format table|csv|jsonl] [--local-time]`: every stored topic with its row
/// count and first and last receive time, by topic, read through <see cref="StoreReading"/> (read-only, mmap_size=0).
/// </summary>
internal static class TopicsCommand
{
    private const string Name = "topics";

    private static readonly IReadOnlyList<OutputColumn> Columns =
    [
        new("TOPIC", "topic", "topic"),
        new("ROWS", "rows", "rows", RightAligned: true),
        new("FIRST RECEIVED", "first_received_at", "firstReceivedAt"),
        new("LAST RECEIVED", "last_received_at", "lastReceivedAt"),
    ];

    public static Command Create()
    {
        var config = new Option<string?>("--config") { Description = "Configuration file to take Storage:Path from (default " + SettingsLoader.DefaultConfigFile + ").", HelpName = "FILE" };
        var db = new Option<string?>("--db") { Description = "Database file (default: Storage:Path from the configuration).", HelpName = "PATH" };
        var topic = new Option<string>("--topic") { Description = "Only topics matching this MQTT topic filter (wildcards allowed; # is every topic).", HelpName = "FILTER", DefaultValueFactory = _ => "#" };
        var format = new Option<string>("--format") { Description = $"Output format: {CommandChoice.Allowed<QueryOutputFormat>()}.", HelpName = "FORMAT", DefaultValueFactory = _ => "table" };
        var localTime = new Option<bool>("--local-time") { Description = "Print times in this machine's time zone with its offset instead of UTC." };

        var command = new Command(Name, "List stored topics with their row counts and first and last receive times.") { config, db, topic, format, localTime };
        command.SetAction((parseResult, cancellationToken) => RunAsync(
            parseResult.GetValue(config),
            parseResult.GetValue(db),
            parseResult.GetValue(topic) ?? "#",
            parseResult.GetValue(format) ?? "table",
            parseResult.GetValue(localTime),
            Console.Out,
            Console.Error,
            cancellationToken));
        return command;
    }

    public static async Task<int> RunAsync(
        string? configFile, string? database, string topicFilter, string formatText, bool localTime, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        if (!MqttTopicFilter.IsValidFilter(topicFilter))
        {
            await error.WriteLineAsync(
                $"edgestore {Name}: --topic is not a valid MQTT topic filter (got '{topicFilter}'); use levels separated by /, with + for one level and # only at the end");
            return ExitCodes.InvalidInput;
        }

        if (!CommandChoice.TryParse<QueryOutputFormat>(Name, "--format", formatText, error, out var format))
        {
            return ExitCodes.InvalidInput;
        }

        var time = OutputTime.For(localTime);
        long rows = 0;
        var exitCode = await StoreReading.RunAsync(Name, configFile, database, error, async reader =>
        {
            var summaries = await reader.SummarizeTopicsAsync(topic => MqttTopicFilter.Matches(topicFilter, topic), cancellationToken);
            var sink = QueryOutput.Create(format, output, Columns);
            foreach (var summary in summaries)
            {
                sink.Write([OutputCell.Of(summary.Topic), OutputCell.Of(summary.Rows), time.Cell(summary.FirstReceivedAt), time.Cell(summary.LastReceivedAt)]);
            }

            rows = sink.Complete();
        });
        if (exitCode == ExitCodes.Ok && format == QueryOutputFormat.Table)
        {
            await error.WriteLineAsync($"({rows} {(rows == 1 ? "topic" : "topics")})");
        }

        return exitCode;
    }
}
