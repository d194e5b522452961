using System.Text.Json;
using System.Text.Json.Nodes;
using EdgeStore.Configuration;
using EdgeStore.Maintenance;

namespace EdgeStore.RemoteTuning;

/// <summary>
/// Maintenance windows as desired documents carry them: a JSON list of `{ "start", "duration", "days" }`. The JSON
/// shape is checked here; each window's values are held to the one window rule, <see cref="MaintenanceWindow.TryCreate"/>,
/// the same rule `Maintenance:Windows` in edgestore.json is validated with. Accepted values are normalized (start as
/// `HH:mm`, duration in lower case, days in canonical case), so what is persisted and reported is what runs.
/// </summary>
internal static class MaintenanceWindowText
{
    /// <summary>Checks a JSON list of windows; returns it normalized, or null after adding every reason to <paramref name="errors"/>.</summary>
    public static JsonArray? Check(string path, JsonElement value, SettingRange count, List<TuningError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (value.ValueKind != JsonValueKind.Array)
        {
            errors.Add(new TuningError(path, TuningErrorCode.WrongType, $"must be a list of {{\"start\",\"duration\",\"days\"}} objects (got {TunableSetting.Describe(value)})"));
            return null;
        }

        if (count.Problem(value.GetArrayLength()) is { } tooMany)
        {
            errors.Add(new TuningError(path, TuningErrorCode.OutOfRange, tooMany));
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

            string? start = null, duration = null, days = null;
            var shapeOk = true;
            foreach (var property in item.EnumerateObject())
            {
                var propertyPath = $"{itemPath}.{TunableSetting.Truncate(property.Name)}";
                var name = property.Name.ToLowerInvariant();
                if (name is not ("start" or "duration" or "days"))
                {
                    errors.Add(new TuningError(propertyPath, TuningErrorCode.UnknownField, "a window has only start, duration and days"));
                    shapeOk = false;
                    continue;
                }

                if (property.Value.ValueKind != JsonValueKind.String)
                {
                    errors.Add(new TuningError(propertyPath, TuningErrorCode.WrongType, $"must be a string (got {TunableSetting.Describe(property.Value)})"));
                    shapeOk = false;
                    continue;
                }

                var text = property.Value.GetString();
                if (name == "start")
                {
                    start = text;
                }
                else if (name == "duration")
                {
                    duration = text;
                }
                else
                {
                    days = text;
                }
            }

            if (start is null && !HasProperty(item, "start"))
            {
                errors.Add(new TuningError($"{itemPath}.start", TuningErrorCode.MissingField, "a window needs a start time (HH:mm)"));
                shapeOk = false;
            }

            if (duration is null && !HasProperty(item, "duration"))
            {
                errors.Add(new TuningError($"{itemPath}.duration", TuningErrorCode.MissingField, "a window needs a duration (for example 2h or 90m)"));
                shapeOk = false;
            }

            // A field already refused for its shape is not checked again for its value.
            var window = MaintenanceWindow.TryCreate(start ?? "00:00", duration ?? "1h", days ?? "Mon-Sun", (field, reason) =>
            {
                var key = field.ToLowerInvariant();
                if ((key == "start" && start is not null) || (key == "duration" && duration is not null) || (key == "days" && days is not null))
                {
                    errors.Add(new TuningError($"{itemPath}.{key}", TuningErrorCode.InvalidValue, reason));
                }
            });
            if (window is not null && shapeOk)
            {
                result.Add((JsonNode)new JsonObject
                {
                    ["start"] = MaintenanceWindow.FormatStart(window.Start),
                    ["duration"] = duration!.Trim().ToLowerInvariant(),
                    ["days"] = MaintenanceDays.Normalize(days ?? "Mon-Sun"),
                });
            }
        }

        return errors.Count == before ? result : null;
    }

    public static IReadOnlyList<MaintenanceWindowValue> ToWindows(JsonNode node) =>
        node.AsArray().Select(w => new MaintenanceWindowValue((string)w!["start"]!, (string)w["duration"]!, (string)w["days"]!)).ToList();

    public static JsonArray ToJson(IReadOnlyList<MaintenanceWindowValue> windows) =>
        new(windows.Select(w => (JsonNode)new JsonObject { ["start"] = w.Start, ["duration"] = w.Duration, ["days"] = w.Days }).ToArray());

    private static bool HasProperty(JsonElement item, string name) =>
        item.EnumerateObject().Any(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));
}
