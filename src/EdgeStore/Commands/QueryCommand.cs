using System.CommandLine;
using EdgeStore.Configuration;
using EdgeStore.Mqtt;
using EdgeStore.Query;
using EdgeStore.Storage;
using Microsoft.Data.Sqlite;

namespace EdgeStore.Commands;

/// <summary>
/// `edgestore query --topic FILTER [--since 10m|ISO] [--until ..] [--limit N] [--desc] [--format table|csv|jsonl]`:
/// reads the database as any other process would, read-only and with mmap_size=0, so it can never be hit by SIGBUS
/// when the daemon's maintenance shrinks the file (docs/ARCHITECTURE.md, C3).
/// </summary>
internal static class QueryCommand
{
    public static Command Create()
    {
        var config = new Option<string?>("--config") { Description = "Configuration file to take Storage:Path from (default " + SettingsLoader.DefaultConfigFile + ").", HelpName = "FILE" };
        var db = new Option<string?>("--db") { Description = "Database file (default: Storage:Path from the configuration).", HelpName = "PATH" };
        var topic = new Option<string>("--topic") { Description = "MQTT topic filter, wildcards allowed (sensors/+/telemetry).", HelpName = "FILTER", Required = true };
        var since = new Option<string?>("--since") { Description = "Only messages received at or after this time: a duration back from now (10m, 2h, 7d) or ISO-8601.", HelpName = "WHEN" };
        var until = new Option<string?>("--until") { Description = "Only messages received before this time: a duration back from now or ISO-8601.", HelpName = "WHEN" };
        var limit = new Option<int?>("--limit") { Description = "At most this many rows.", HelpName = "N" };
        var descending = new Option<bool>("--desc") { Description = "Newest first (default oldest first)." };
        var format = new Option<QueryOutputFormat>("--format") { Description = "Output format.", DefaultValueFactory = _ => QueryOutputFormat.Table };

        var command = new Command("query", "Print stored messages.") { config, db, topic, since, until, limit, descending, format };
        command.SetAction((parseResult, cancellationToken) => RunAsync(
            new QueryArguments(
                parseResult.GetValue(config),
                parseResult.GetValue(db),
                parseResult.GetRequiredValue(topic),
                parseResult.GetValue(since),
                parseResult.GetValue(until),
                parseResult.GetValue(limit),
                parseResult.GetValue(descending),
                parseResult.GetValue(format)),
            Console.Out,
            Console.Error,
            TimeProvider.System,
            cancellationToken));
        return command;
    }

    public static async Task<int> RunAsync(QueryArguments arguments, TextWriter output, TextWriter error, TimeProvider timeProvider, CancellationToken cancellationToken)
    {
        if (!MqttTopicFilter.IsValidFilter(arguments.Topic))
        {
            return Usage(error, $"--topic: not a valid MQTT topic filter (got '{arguments.Topic}')");
        }

        var now = timeProvider.GetUtcNow();
        DateTimeOffset? since = null;
        DateTimeOffset? until = null;
        if (arguments.Since is not null)
        {
            if (!TimeArgument.TryParse(arguments.Since, now, out var value))
            {
                return Usage(error, $"--since: expected a duration such as 10m, 2h or 7d, or an ISO-8601 time (got '{arguments.Since}')");
            }

            since = value;
        }

        if (arguments.Until is not null)
        {
            if (!TimeArgument.TryParse(arguments.Until, now, out var value))
            {
                return Usage(error, $"--until: expected a duration such as 10m, 2h or 7d, or an ISO-8601 time (got '{arguments.Until}')");
            }

            until = value;
        }

        if (arguments.Limit is <= 0)
        {
            return Usage(error, $"--limit: must be at least 1 (got {arguments.Limit})");
        }

        if (CommandDatabase.Resolve(SettingsLoader.ForCurrentProcess(), arguments.ConfigFile, arguments.Database, error) is not { } path)
        {
            return ExitCodes.InvalidInput;
        }

        if (!File.Exists(path))
        {
            await error.WriteLineAsync($"edgestore: no database at {path}");
            return ExitCodes.Failure;
        }

        var filter = arguments.Topic;
        var query = new TelemetryQuery(topic => MqttTopicFilter.Matches(filter, topic), since, until, arguments.Limit, arguments.Descending);
        var sink = QueryOutput.Create(arguments.Format, output);
        try
        {
            await foreach (var message in TelemetryReader.OpenReadOnly(path).QueryAsync(query, cancellationToken))
            {
                sink.Write(message);
            }
        }
        catch (SqliteException e)
        {
            sink.Complete();
            await error.WriteLineAsync($"edgestore: cannot read {path}: {e.Message}");
            return ExitCodes.Failure;
        }

        var rows = sink.Complete();
        if (arguments.Format == QueryOutputFormat.Table)
        {
            await error.WriteLineAsync($"({rows} {(rows == 1 ? "row" : "rows")})");
        }

        return ExitCodes.Ok;
    }

    private static int Usage(TextWriter error, string message)
    {
        error.WriteLine($"edgestore: {message}");
        return ExitCodes.InvalidInput;
    }
}
