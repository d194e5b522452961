using System.CommandLine;
using EdgeStore.Configuration;
using EdgeStore.Query;
using EdgeStore.Storage;

namespace EdgeStore.Commands;

/// <summary>
/// `edgestore quarantine [--since ..] [--until ..] [--limit N] [--desc] [--format table|csv|jsonl] [--local-time]`:
/// the messages decoding refused (docs/ARCHITECTURE.md, C5), each with its topic, receive time, reason and the payload
/// as received, read through <see cref="StoreReading"/> (read-only, mmap_size=0).
/// </summary>
internal static class QuarantineCommand
{
    private const string Name = "quarantine";

    private static readonly IReadOnlyList<OutputColumn> Columns =
    [
        new("ID", "id", "id", RightAligned: true),
        new("TOPIC", "topic", "topic"),
        new("RECEIVED AT", "received_at", "receivedAt"),
        new("REASON", "reason", "reason"),
        new("PAYLOAD", "payload", "payload"),
    ];

    public static Command Create()
    {
        var config = new Option<string?>("--config") { Description = "Configuration file to take Storage:Path from (default " + SettingsLoader.DefaultConfigFile + ").", HelpName = "FILE" };
        var db = new Option<string?>("--db") { Description = "Database file (default: Storage:Path from the configuration).", HelpName = "PATH" };
        var since = new Option<string?>("--since") { Description = "Only messages received at or after this time: a duration back from now (10m, 2h, 7d) or ISO-8601.", HelpName = "WHEN" };
        var until = new Option<string?>("--until") { Description = "Only messages received before this time: a duration back from now or ISO-8601.", HelpName = "WHEN" };
        var limit = new Option<int?>("--limit") { Description = "At most this many rows.", HelpName = "N" };
        var descending = new Option<bool>("--desc") { Description = "Newest first (default oldest first)." };
        var format = new Option<string>("--format") { Description = $"Output format: {CommandChoice.Allowed<QueryOutputFormat>()}.", HelpName = "FORMAT", DefaultValueFactory = _ => "table" };
        var localTime = new Option<bool>("--local-time") { Description = "Print times in this machine's time zone with its offset instead of UTC." };

        var command = new Command(Name, "Print quarantined messages (payloads decoding refused) with their reasons.") { config, db, since, until, limit, descending, format, localTime };
        command.SetAction((parseResult, cancellationToken) => RunAsync(
            parseResult.GetValue(config),
            parseResult.GetValue(db),
            parseResult.GetValue(since),
            parseResult.GetValue(until),
            parseResult.GetValue(limit),
            parseResult.GetValue(descending),
            parseResult.GetValue(format) ?? "table",
            parseResult.GetValue(localTime),
            Console.Out,
            Console.Error,
            TimeProvider.System,
            cancellationToken));
        return command;
    }

    public static async Task<int> RunAsync(
        string? configFile,
        string? database,
        string? sinceText,
        string? untilText,
        int? limit,
        bool descending,
        string formatText,
        bool localTime,
        TextWriter output,
        TextWriter error,
        TimeProvider timeProvider,
        CancellationToken cancellationToken)
    {
        if (!CommandChoice.TryParse<QueryOutputFormat>(Name, "--format", formatText, error, out var format)
            || !CommandTimeRange.TryParse(Name, sinceText, untilText, timeProvider.GetUtcNow(), error, out var since, out var until))
        {
            return ExitCodes.InvalidInput;
        }

        if (limit is <= 0)
        {
            await error.WriteLineAsync($"edgestore {Name}: --limit must be at least 1 (got {limit}); leave it out for every row");
            return ExitCodes.InvalidInput;
        }

        var time = OutputTime.For(localTime);
        QueryOutput? sink = null; // created once the database opened, so a failure prints no header
        var exitCode = await StoreReading.RunAsync(Name, configFile, database, error, async reader =>
        {
            sink = QueryOutput.Create(format, output, Columns);
            await foreach (var message in reader.QueryQuarantineAsync(new QuarantineQuery(since, until, limit, descending), cancellationToken))
            {
                sink.Write([OutputCell.Of(message.Id), OutputCell.Of(message.Topic), time.Cell(message.ReceivedAt), OutputCell.Of(message.Reason), OutputCell.Of(PayloadText.Of(message.Payload))]);
            }
        });
        var rows = sink?.Complete() ?? 0;
        if (exitCode == ExitCodes.Ok && format == QueryOutputFormat.Table)
        {
            await error.WriteLineAsync($"({rows} {(rows == 1 ? "row" : "rows")})");
        }

        return exitCode;
    }
}
