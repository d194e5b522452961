using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using EdgeStore.Configuration;
using EdgeStore.Memory;
using EdgeStore.Status;

namespace EdgeStore.Commands;

/// <summary>
/// `edgestore status [--config FILE] [--db PATH] [--format text|json]`: reads the <c>status.json</c> the daemon
/// rewrites every few seconds next to its database and prints it as aligned "key: value" lines or as the raw JSON.
/// Never opens the database. Exit codes: 0 running and doing its job, 1 unreadable status file, 2 bad arguments,
/// 3 not running (no file, phase "stopped", or the PID it names is no longer an EdgeStore), 5 degraded (starting,
/// stopping, a problem the daemon lists, or a live PID whose file is older than <see cref="StatusFile.StaleAfter"/>).
/// </summary>
internal static class StatusCommand
{
    public static Command Create()
    {
        var config = new Option<string?>("--config") { Description = "Config file (default /etc/edgestore/edgestore.json)", HelpName = "FILE" };
        var database = new Option<string?>("--db") { Description = "Database file (default: Storage:Path from the config); status.json is read beside it", HelpName = "PATH" };
        var format = ChoiceOption.Create("--format", "Output format.", "text", "text", "json");
        var command = new Command("status", "Show what the running daemon is doing (from status.json in the state directory)") { config, database, format };
        command.SetAction((parseResult, ct) => RunAsync(
            parseResult.GetValue(config), parseResult.GetValue(database), parseResult.GetValue(format) == "json", TimeProvider.System, Console.Out, Console.Error, ct));
        return command;
    }

    public static Task<int> RunAsync(string? configFile, string? databaseOption, bool asJson, TimeProvider timeProvider, TextWriter output, TextWriter error, CancellationToken ct, Func<int, bool>? isAlive = null) =>
        RunAsync(SettingsLoader.ForCurrentProcess(), configFile, databaseOption, asJson, timeProvider, output, error, ct, isAlive);

    /// <param name="isAlive">Whether a PID is a live EdgeStore (<see cref="ProcessLiveness.IsEdgeStore"/>; tests replace it).</param>
    public static async Task<int> RunAsync(SettingsLoader loader, string? configFile, string? databaseOption, bool asJson, TimeProvider timeProvider, TextWriter output, TextWriter error, CancellationToken ct, Func<int, bool>? isAlive = null)
    {
        isAlive ??= ProcessLiveness.IsEdgeStore;
        if (CommandDatabase.Resolve(loader, configFile, databaseOption, error) is not { } databasePath)
        {
            return ExitCodes.InvalidInput;
        }

        var statusPath = StatusFile.PathFor(databasePath);

        string text;
        try
        {
            text = await File.ReadAllTextAsync(statusPath, ct);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            await error.WriteLineAsync($"edgestore status: not running: no status file at {statusPath} (never started with this database, or another Storage:Path; see --db and --config)");
            return ExitCodes.NotRunning;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            await error.WriteLineAsync($"edgestore status: {PlainError.For(e, statusPath) ?? $"cannot read {statusPath}: {e.Message}"}");
            return ExitCodes.Failure;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text);
        }
        catch (JsonException e)
        {
            await error.WriteLineAsync($"edgestore status: {statusPath} is unreadable ({e.Message})");
            return ExitCodes.Failure;
        }

        using (document)
        {
            var root = document.RootElement;
            var now = timeProvider.GetUtcNow();
            var (code, state) = Judge(root, now, isAlive);
            if (asJson)
            {
                await output.WriteLineAsync(text.TrimEnd());
                if (code != ExitCodes.Ok)
                {
                    await error.WriteLineAsync($"edgestore status: {state}");
                }
            }
            else
            {
                foreach (var line in Describe(root, statusPath, state, now))
                {
                    await output.WriteLineAsync(line);
                }
            }

            return code;
        }
    }

    /// <summary>
    /// The verdict and its exit code: not running (the file says "stopped", or its PID is no longer an EdgeStore),
    /// degraded (starting, stopping, a listed problem, or a live PID whose file has not been updated for
    /// <see cref="StatusFile.StaleAfter"/>), else running.
    /// </summary>
    private static (int Code, string State) Judge(JsonElement root, DateTimeOffset now, Func<int, bool> isAlive)
    {
        var updatedAt = Time(root, "updatedAt");
        var phase = String(root, "phase") ?? "unknown";
        var pid = Number(root, "pid") is { } p ? (int)p : 0;
        var lastUpdate = updatedAt is { } u ? $"last update {DurationOf(now - u)} ago" : "no update time";
        if (phase == "stopped")
        {
            return (ExitCodes.NotRunning, $"not running: stopped cleanly at {updatedAt?.ToString("O", CultureInfo.InvariantCulture) ?? "?"}");
        }

        if (!isAlive(pid))
        {
            return (ExitCodes.NotRunning, $"not running: PID {pid} is gone without a clean stop (killed or crashed; {lastUpdate}); see journalctl -u edgestore");
        }

        if (updatedAt is not { } updated || now - updated > StatusFile.StaleAfter)
        {
            return (ExitCodes.Degraded, $"degraded: PID {pid} is alive but has not updated its status ({lastUpdate}); it may be hung");
        }

        if (phase != "running")
        {
            var migration = Object(root, "migration") is { } m
                ? $" the schema from version {Count(m, "fromVersion")} to {Count(m, "toVersion")} ({String(m, "step") ?? "?"}): {Count(m, "rows")} rows, " +
                  $"{(m.TryGetProperty("elapsedSeconds", out var elapsed) && elapsed.ValueKind == JsonValueKind.Number ? elapsed.GetDouble() : 0):0} s so far; SIGTERM stops it safely"
                : string.Empty;
            return (ExitCodes.Degraded, $"{(phase == "stopping" ? "stopping" : "starting")}: {phase}{migration}");
        }

        var problems = root.TryGetProperty("problems", out var list) && list.ValueKind == JsonValueKind.Array
            ? [.. list.EnumerateArray().Select(e => e.GetString() ?? string.Empty)]
            : new List<string>();
        return problems.Count > 0
            ? (ExitCodes.Degraded, $"degraded: {string.Join("; ", problems)}")
            : (ExitCodes.Ok, $"running (updated {DurationOf(now - updated)} ago)");
    }

    private static List<string> Describe(JsonElement root, string statusPath, string state, DateTimeOffset now)
    {
        var memory = Object(root, "memory");
        var safeMode = Object(root, "safeMode");
        var maintenance = Object(root, "maintenance");
        var database = Object(root, "database");
        var updatedAt = Time(root, "updatedAt");
        var startedAt = Time(root, "startedAt");
        var alarms = maintenance is { } m && m.TryGetProperty("alarms", out var list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray().Select(a => a.GetString() ?? string.Empty).ToList()
            : [];
        var lastResult = maintenance is { } mm && mm.TryGetProperty("lastResult", out var result) && result.ValueKind == JsonValueKind.Object
            ? String(result, "summary")
            : null;

        var rows = new List<(string Key, string Value)>
        {
            ("state", state),
            ("phase", String(root, "phase") ?? "?"),
            ("pid", Number(root, "pid")?.ToString(CultureInfo.InvariantCulture) ?? "?"),
            ("version", String(root, "version") ?? "?"),
            ("started", startedAt is { } s ? $"{s:O} (up {DurationOf(now - s)})" : "?"),
            ("broker", Bool(root, "brokerConnected") switch { true => "connected", false => "disconnected", null => "?" }),
            ("backlog", Count(root, "backlog")),
            ("rows stored", Count(root, "rowsStored")),
            ("acknowledged", Count(root, "acknowledged")),
            ("quarantined", $"{Count(root, "quarantined")} ({Count(root, "oversizeQuarantined")} oversize)"),
            ("redeliveries", $"{Count(root, "redeliveries")} acknowledged without storing (recognised by DUP and packet id)"),
            ("subscriptions", RefusedSubscriptions(root) is { Count: > 0 } refused
                ? $"REFUSED by the broker: {string.Join(", ", refused)} (retrying; {Count(root, "subscriptionsRefused")} refusals since start)"
                : $"granted ({Count(root, "subscriptionsRefused")} refusals since start)"),
            ("broker loss warnings", Count(root, "brokerLossWarnings")),
            ("uplink", DescribeUplink(Object(root, "uplink"))),

            // The memory block, in the words of MemoryStatusReport.
            ("memory pressure", $"{(memory is { } mp ? String(mp, "pressureLevel") : null) ?? "?"} ({(memory is { } lc ? Count(lc, "levelChanges") : "?")} level changes)"),
            ("mmap limit", memory is { } ml
                ? $"{MemoryStatusReport.Bytes(Number(ml, "mmapLimitBytes"))} (ceiling {MemoryStatusReport.Bytes(Number(ml, "mmapCeilingBytes"))}, cap {MemoryStatusReport.Bytes(Number(ml, "mmapCapBytes"))} = 25% of effective RAM {MemoryStatusReport.Bytes(Number(ml, "effectiveMemoryBytes"))}); cache_size {MemoryStatusReport.Bytes(Number(ml, "cacheSizeBytes"))}"
                : "?"),
            ("memory governor", memory is { } mg
                ? $"{Count(mg, "limitChanges")} limit changes, {Count(mg, "connectionsRecycled")} connections recycled, ~{MemoryStatusReport.Bytes(Number(mg, "bytesReleased"))} released, {Count(mg, "applyFailures")} failed applies"
                : "?"),

            ("storage-safe mode", safeMode is { } sm && Bool(sm, "active") == true ? $"ON: {String(sm, "reason") ?? "reason unknown"}" : "off"),
            ("last maintenance", lastResult ?? "none since start"),
            ("alarms", alarms.Count == 0 ? "none" : string.Join("; ", alarms)),
            ("database", database is { } db
                ? $"{String(db, "path") ?? "?"} ({MemoryStatusReport.Bytes(Number(db, "sizeBytes"))}, WAL {MemoryStatusReport.Bytes(Number(db, "walSizeBytes"))})"
                : "?"),
            ("status file", statusPath),
        };
        var width = rows.Max(r => r.Key.Length) + 1;
        return [.. rows.Select(r => (r.Key + ":").PadRight(width + 1) + r.Value)];
    }

    private static string DescribeUplink(JsonElement? uplink)
    {
        if (uplink is not { } u || Bool(u, "enabled") != true)
        {
            return "disabled";
        }

        var age = Number(u, "oldestUnforwardedAgeSeconds") is { } seconds ? $", oldest {DurationOf(TimeSpan.FromSeconds(seconds))} old" : string.Empty;
        var text = $"{String(u, "phase") ?? "?"} to {String(u, "endpoint") ?? "?"}; backlog {Count(u, "backlogRows")} rows{age}; " +
            $"forwarded {Count(u, "forwarded")} ({(u.TryGetProperty("forwardedPerSecond", out var rate) && rate.ValueKind == JsonValueKind.Number ? rate.GetDouble() : 0):0.#}/s)";
        if (Number(u, "unforwardedDropped") is > 0)
        {
            text += $"; {Count(u, "unforwardedDropped")} UNFORWARDED ROWS DROPPED by retention";
        }

        if (Number(u, "refusedSkipped") is > 0)
        {
            text += $"; {Count(u, "refusedSkipped")} rows refused upstream and skipped";
        }

        if (Bool(u, "connected") != true && String(u, "lastError") is { } error)
        {
            text += $"; last error: {error}";
        }

        return text;
    }

    private static string DurationOf(TimeSpan span) =>
        span.TotalDays >= 1 ? $"{(int)span.TotalDays}d {span.Hours}h {span.Minutes}m"
        : span.TotalHours >= 1 ? $"{span.Hours}h {span.Minutes}m"
        : span.TotalMinutes >= 1 ? $"{span.Minutes}m {span.Seconds}s"
        : $"{Math.Max(0, span.Seconds)}s";

    private static JsonElement? Object(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Object ? value : null;

    private static string? String(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static long? Number(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var number) ? number : null;

    private static string Count(JsonElement root, string name) =>
        Number(root, name)?.ToString(CultureInfo.InvariantCulture) ?? "?";

    private static bool? Bool(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) ? value.ValueKind switch { JsonValueKind.True => true, JsonValueKind.False => false, _ => null } : null;

    private static DateTimeOffset? Time(JsonElement root, string name) =>
        root.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String && value.TryGetDateTimeOffset(out var time) ? time : null;

    private static List<string> RefusedSubscriptions(JsonElement root) =>
        root.TryGetProperty("refusedSubscriptions", out var list) && list.ValueKind == JsonValueKind.Array
            ? [.. list.EnumerateArray().Select(f => f.GetString() ?? string.Empty)]
            : [];
}
