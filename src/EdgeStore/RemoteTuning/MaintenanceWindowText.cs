using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace EdgeStore.RemoteTuning;

/// <summary>
/// Checks maintenance windows in the words of the `Maintenance:Windows` setting: `start` HH:mm, `duration` as
/// hours and minutes (`2h`, `90m`, `1h30m`; 5m..24h), `days` as day names and ranges (`Mon-Sun`, `Mon,Wed,Fri`,
/// `Sat-Mon`). The same rules serve the local settings and desired documents.
/// </summary>
internal static partial class MaintenanceWindowText
{
    private static readonly string[] DayNames = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    private static readonly TimeSpan MinDuration = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan MaxDuration = TimeSpan.FromHours(24);

    /// <summary>Checks a JSON list of windows; returns it normalized, or null after adding every reason to <paramref name="errors"/>.</summary>
    public static JsonArray? Check(string path, JsonElement value, int maxWindows, List<TuningError> errors)
    {
        if (value.ValueKind != JsonValueKind.Array)
        {
            errors.Add(new TuningError(path, TuningErrorCode.WrongType, $"must be a list of {{\"start\",\"duration\",\"days\"}} objects (got {TunableSetting.Describe(value)})"));
            return null;
        }

        var count = value.GetArrayLength();
        if (count > maxWindows)
        {
            errors.Add(new TuningError(path, TuningErrorCode.OutOfRange, $"must hold 0..{maxWindows} windows (got {count})"));
            return null;
        }

        var before = errors.Count;
        var result = new JsonArray();
        var index = 0;
        foreach (var item in value.EnumerateArray())
        {
            var itemPath = $"{path}[{index++}]";
            if (item.ValueKind != JsonValueKind.Object)
            {
                errors.Add(new TuningError(itemPath, TuningErrorCode.WrongType, $"must be an object {{\"start\",\"duration\",\"days\"}} (got {TunableSetting.Describe(item)})"));
                continue;
            }

            string? start = null, duration = null, days = "Mon-Sun";
            foreach (var property in item.EnumerateObject())
            {
                var propertyPath = $"{itemPath}.{TunableSetting.Truncate(property.Name)}";
                var name = property.Name.ToLowerInvariant();
                if (name is not ("start" or "duration" or "days"))
                {
                    errors.Add(new TuningError(propertyPath, TuningErrorCode.UnknownField, "a window has only start, duration and days"));
                    continue;
                }

                if (property.Value.ValueKind != JsonValueKind.String)
                {
                    errors.Add(new TuningError(propertyPath, TuningErrorCode.WrongType, $"must be a string (got {TunableSetting.Describe(property.Value)})"));
                    continue;
                }

                var text = property.Value.GetString()!;
                var problem = name switch
                {
                    "start" => StartProblem(text),
                    "duration" => DurationProblem(text),
                    _ => DaysProblem(text),
                };
                if (problem is not null)
                {
                    errors.Add(new TuningError(propertyPath, TuningErrorCode.InvalidValue, problem));
                    continue;
                }

                if (name == "start")
                {
                    start = text;
                }
                else if (name == "duration")
                {
                    duration = text.ToLowerInvariant();
                }
                else
                {
                    days = NormalizeDays(text);
                }
            }

            if (start is null && !HasProperty(item, "start"))
            {
                errors.Add(new TuningError($"{itemPath}.start", TuningErrorCode.MissingField, "a window needs a start time (HH:mm)"));
            }

            if (duration is null && !HasProperty(item, "duration"))
            {
                errors.Add(new TuningError($"{itemPath}.duration", TuningErrorCode.MissingField, "a window needs a duration (for example 2h or 90m)"));
            }

            if (start is not null && duration is not null)
            {
                result.Add(new JsonObject { ["start"] = start, ["duration"] = duration, ["days"] = days });
            }
        }

        return errors.Count == before ? result : null;
    }

    public static IReadOnlyList<MaintenanceWindowValue> ToWindows(JsonNode node) =>
        node.AsArray().Select(w => new MaintenanceWindowValue((string)w!["start"]!, (string)w["duration"]!, (string)w["days"]!)).ToList();

    public static JsonArray ToJson(IReadOnlyList<MaintenanceWindowValue> windows) =>
        new(windows.Select(w => (JsonNode)new JsonObject { ["start"] = w.Start, ["duration"] = w.Duration, ["days"] = w.Days }).ToArray());

    /// <summary>The reason a local window setting is wrong, or null.</summary>
    public static string? Problem(string? start, string? duration, string? days) =>
        StartProblem(start ?? string.Empty) ?? DurationProblem(duration ?? string.Empty) ?? DaysProblem(days ?? string.Empty);

    public static string? StartProblem(string text) =>
        StartPattern().IsMatch(text) ? null : $"start must be HH:mm, 00:00..23:59 (got '{TunableSetting.Truncate(text)}')";

    public static string? DurationProblem(string text)
    {
        var match = DurationPattern().Match(text);
        if (!match.Success || (!match.Groups["h"].Success && !match.Groups["m"].Success))
        {
            return $"duration must be hours and minutes such as 2h, 90m or 1h30m (got '{TunableSetting.Truncate(text)}')";
        }

        var hours = match.Groups["h"].Success ? int.Parse(match.Groups["h"].Value, CultureInfo.InvariantCulture) : 0;
        var minutes = match.Groups["m"].Success ? int.Parse(match.Groups["m"].Value, CultureInfo.InvariantCulture) : 0;
        var total = TimeSpan.FromHours(hours) + TimeSpan.FromMinutes(minutes);
        if (total < MinDuration || total > MaxDuration)
        {
            return $"duration must be 5m..24h (got '{text}')";
        }

        // The maintenance scheduler parses the same text at start: never accept what it would refuse.
        return EdgeStore.Configuration.DurationText.TryParse(text, out var parsed) && parsed == total
            ? null
            : $"duration is not understood by the maintenance scheduler (got '{text}')";
    }

    public static string? DaysProblem(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        if (text.Length == 0 || text.Length > 64 || parts.Any(p => !DayPart(p)))
        {
            return $"days must be day names (Mon..Sun) and ranges, comma-separated, such as Mon-Sun or Mon,Wed,Fri (got '{TunableSetting.Truncate(text)}')";
        }

        return EdgeStore.Maintenance.MaintenanceDays.TryParse(text, out _, out var error) ? null : $"days: {error}";
    }

    private static bool DayPart(string part)
    {
        var ends = part.Split('-', StringSplitOptions.TrimEntries);
        return ends.Length is 1 or 2 && ends.All(e => DayNames.Contains(e, StringComparer.OrdinalIgnoreCase));
    }

    private static string NormalizeDays(string text) =>
        string.Join(',', text.Split(',', StringSplitOptions.TrimEntries).Select(part =>
            string.Join('-', part.Split('-', StringSplitOptions.TrimEntries).Select(d => DayNames.First(n => string.Equals(n, d, StringComparison.OrdinalIgnoreCase))))));

    private static bool HasProperty(JsonElement item, string name) =>
        item.EnumerateObject().Any(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));

    [GeneratedRegex(@"^([01][0-9]|2[0-3]):[0-5][0-9]$", RegexOptions.CultureInvariant)]
    private static partial Regex StartPattern();

    [GeneratedRegex(@"^(?:(?<h>[0-9]{1,2})h)?(?:(?<m>[0-9]{1,4})m)?$", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex DurationPattern();
}
