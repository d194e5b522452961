using System.Globalization;
using EdgeStore.Configuration;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace EdgeStore.RemoteTuning;

/// <summary>
/// One row of the tunable-settings table: its dotted path in desired documents (`ingest.maxBatchRows`), the local
/// setting it overrides (`Ingest:MaxBatchRows`), its shape, bounds and unit, and how it reads from and writes into a
/// <see cref="TunedValues"/> snapshot. Values are normalized when checked (canonical spelling of choices), so what is
/// persisted and reported is what is applied.
/// </summary>
internal sealed record TunableSetting(
    string Path,
    string SettingKey,
    TunableKind Kind,
    SettingRange Range,
    IReadOnlyList<string> Choices,
    string Description,
    Func<TunedValues, JsonNode> Read,
    Func<TunedValues, JsonNode, TunedValues> Write)
{
    /// <summary>
    /// Checks one value from a desired document. Returns the normalized value, or null after adding the reasons to
    /// <paramref name="errors"/>. Bounds here are the hard ones; mmap above the RAM cap is clamped later, not refused.
    /// </summary>
    public JsonNode? Check(JsonElement value, List<TuningError> errors)
    {
        switch (Kind)
        {
            case TunableKind.Integer:
                if (value.ValueKind != JsonValueKind.Number)
                {
                    errors.Add(new TuningError(Path, TuningErrorCode.WrongType, $"must be a whole number of {Range.Unit} (got {Describe(value)})"));
                    return null;
                }

                if (!value.TryGetInt64(out var number))
                {
                    var isWhole = decimal.TryParse(value.GetRawText(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && decimal.Truncate(d) == d;
                    errors.Add(isWhole
                        ? new TuningError(Path, TuningErrorCode.OutOfRange, $"must be {Range.Describe()} (got {Truncate(value.GetRawText())})")
                        : new TuningError(Path, TuningErrorCode.WrongType, $"must be a whole number of {Range.Unit} (got {Truncate(value.GetRawText())})"));
                    return null;
                }

                if (Range.Problem(number) is { } reason)
                {
                    errors.Add(new TuningError(Path, TuningErrorCode.OutOfRange, reason));
                    return null;
                }

                return JsonValue.Create(number);

            case TunableKind.Choice:
                if (value.ValueKind != JsonValueKind.String)
                {
                    errors.Add(new TuningError(Path, TuningErrorCode.WrongType, $"must be one of {string.Join(", ", Choices)} as a string (got {Describe(value)})"));
                    return null;
                }

                var text = value.GetString()!;
                var canonical = Choices.FirstOrDefault(c => string.Equals(c, text, StringComparison.OrdinalIgnoreCase));
                if (canonical is null)
                {
                    errors.Add(new TuningError(Path, TuningErrorCode.InvalidValue, $"must be one of {string.Join(", ", Choices)} (got '{Truncate(text)}')"));
                    return null;
                }

                return JsonValue.Create(canonical);

            case TunableKind.Boolean:
                if (value.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                {
                    errors.Add(new TuningError(Path, TuningErrorCode.WrongType, $"must be true or false (got {Describe(value)})"));
                    return null;
                }

                return JsonValue.Create(value.GetBoolean());

            case TunableKind.Windows:
                return MaintenanceWindowText.Check(Path, value, Range, errors);

            default:
                throw new InvalidOperationException($"unknown kind {Kind}");
        }
    }

    /// <summary>A short description of a JSON value for error messages; never echoes more than a few dozen characters.</summary>
    public static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => $"the string '{Truncate(value.GetString()!)}'",
        JsonValueKind.Number => $"the number {Truncate(value.GetRawText())}",
        JsonValueKind.True or JsonValueKind.False => $"{value.GetRawText()}",
        JsonValueKind.Null => "null",
        JsonValueKind.Array => "a list",
        JsonValueKind.Object => "an object",
        _ => value.ValueKind.ToString(),
    };

    public static string Truncate(string text) => text.Length <= 40 ? text : text[..40] + "...";
}
