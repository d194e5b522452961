using System.CommandLine;
using EdgeStore.Configuration;
using EdgeStore.Mqtt;
using EdgeStore.Query;
using EdgeStore.Storage;

namespace EdgeStore.Commands;

/// <summary>
/// `edgestore query --topic FILTER [--since 10m|ISO] [--until ..] [--limit N] [--desc] [--format table|csv|jsonl]
/// [--field PATH ...] [--time received|device] [--local-time]`: reads the database through <see cref="StoreReading"/>
/// (read-only, mmap_size=0). Without --field every stored fact of a message is printed; with it, the time, the topic and
/// one column per JSON path into the payload.
/// </summary>
internal static class QueryCommand
{
    private const string Name = "query";

    public static Command Create()
    {
        var config = new Option<string?>("--config") { Description = "Configuration file to take Storage:Path from (default " + SettingsLoader.DefaultConfigFile + ").", HelpName = "FILE" };
        var db = new Option<string?>("--db") { Description = "Database file (default: Storage:Path from the configuration).", HelpName = "PATH" };
        var topic = new Option<string>("--topic") { Description = "MQTT topic filter, wildcards allowed (sensors/+/telemetry).", HelpName = "FILTER", Required = true };
        var since = new Option<string?>("--since") { Description = "Only messages at or after this time (see --time): a duration back from now (10m, 2h, 7d) or ISO-8601.", HelpName = "WHEN" };
        var until = new Option<string?>("--until") { Description = "Only messages before this time (see --time): a duration back from now or ISO-8601.", HelpName = "WHEN" };
        var limit = new Option<int?>("--limit") { Description = "At most this many rows.", HelpName = "N" };
        var descending = new Option<bool>("--desc") { Description = "Newest first (default oldest first)." };
        var format = new Option<string>("--format") { Description = $"Output format: {CommandChoice.Allowed<QueryOutputFormat>()}.", HelpName = "FORMAT", DefaultValueFactory = _ => "table" };
        var field = new Option<string[]>("--field") { Description = "A JSON path into the payload to print as a column (temp, env.temp, values[0]); repeat for several.", HelpName = "PATH" };
        var time = new Option<string>("--time") { Description = $"Which time is shown and filtered on: {CommandChoice.Allowed<QueryTimeBasis>()} (device: the payload's own timestamp; rows without one are left out).", HelpName = "WHICH", DefaultValueFactory = _ => "received" };
        var localTime = new Option<bool>("--local-time") { Description = "Print times in this machine's time zone with its offset instead of UTC." };

        var command = new Command(Name, "Print stored messages.") { config, db, topic, since, until, limit, descending, format, field, time, localTime };
        command.SetAction((parseResult, cancellationToken) => RunAsync(
            new QueryArguments(
                parseResult.GetValue(config),
                parseResult.GetValue(db),
                parseResult.GetRequiredValue(topic),
                parseResult.GetValue(since),
                parseResult.GetValue(until),
                parseResult.GetValue(limit),
                parseResult.GetValue(descending),
                parseResult.GetValue(format) ?? "table",
                parseResult.GetValue(field) ?? [],
                parseResult.GetValue(time) ?? "received",
                parseResult.GetValue(localTime)),
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
            return Usage(error, $"--topic is not a valid MQTT topic filter (got '{arguments.Topic}'); use levels separated by /, with + for one level and # only at the end");
        }

        if (!CommandChoice.TryParse<QueryOutputFormat>(Name, "--format", arguments.Format, error, out var format)
            || !CommandChoice.TryParse<QueryTimeBasis>(Name, "--time", arguments.Time, error, out var basis)
            || !CommandTimeRange.TryParse(Name, arguments.Since, arguments.Until, timeProvider.GetUtcNow(), error, out var since, out var until))
        {
            return ExitCodes.InvalidInput;
        }

        if (arguments.Limit is <= 0)
        {
            return Usage(error, $"--limit must be at least 1 (got {arguments.Limit}); leave it out for every row");
        }

        var fields = new List<JsonFieldPath>();
        foreach (var text in arguments.Fields ?? [])
        {
            if (!JsonFieldPath.TryParse(text, out var path))
            {
                return Usage(error, $"--field is not a JSON path (got '{text}'); use names separated by dots and [N] for array items, such as env.temp or values[0]");
            }

            if (fields.Any(f => f.Text == text))
            {
                return Usage(error, $"--field '{text}' is given twice; give each field once");
            }

            fields.Add(path!);
        }

        var time = OutputTime.For(arguments.LocalTime);
        var messageRows = new MessageRows(time, embedJsonPayloads: format == QueryOutputFormat.Jsonl);
        var fieldRows = fields.Count > 0 ? new FieldRows(time, basis, fields) : null;
        var filter = arguments.Topic;
        var query = new TelemetryQuery(topic => MqttTopicFilter.Matches(filter, topic), since, until, arguments.Limit, arguments.Descending, basis == QueryTimeBasis.Device);
        QueryOutput? sink = null; // created once the database opened, so a failure prints no header
        var exitCode = await StoreReading.RunAsync(Name, arguments.ConfigFile, arguments.Database, error, async reader =>
        {
            sink = QueryOutput.Create(format, output, fieldRows?.Columns ?? MessageRows.Columns);
            await foreach (var message in reader.QueryAsync(query, cancellationToken))
            {
                sink.Write(fieldRows is not null ? fieldRows.Cells(message) : messageRows.Cells(message));
            }
        });
        var rows = sink?.Complete() ?? 0;
        if (exitCode == ExitCodes.Ok && format == QueryOutputFormat.Table)
        {
            var note = rows == 0 && basis == QueryTimeBasis.Device ? "; with --time device only rows that carry a device timestamp are shown" : string.Empty;
            await error.WriteLineAsync($"({rows} {(rows == 1 ? "row" : "rows")}{note})");
        }

        return exitCode;
    }

    private static int Usage(TextWriter error, string message)
    {
        error.WriteLine($"edgestore {Name}: {message}");
        return ExitCodes.InvalidInput;
    }
}
