using System.Text.Json;
using System.Text.Json.Nodes;
using EdgeStore.Configuration;

namespace EdgeStore.RemoteTuning;

/// <summary>
/// Checks a desired document (`{"version": 42, "config": {...}}`) as a whole against <see cref="TunableSettings"/> and
/// collects every error, so one reported document tells the operator everything to fix. The payload is untrusted:
/// its size is checked before parsing, nesting is bounded, and error messages never echo more than a short excerpt.
/// Settings may be written nested (`{"ingest": {"maxBatchRows": 500}}`) or as dotted keys (`{"ingest.maxBatchRows": 500}`).
/// </summary>
internal static class DesiredDocumentValidator
{
    public const long MaxVersion = 9_007_199_254_740_991; // 2^53 - 1: exact in every JSON implementation.
    private const int MaxDepth = 16;
    private const int MaxErrors = 50;

    private static readonly JsonDocumentOptions ParseOptions = new() { MaxDepth = MaxDepth, AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow };

    // Sections and keys of the local configuration (from the explicit settings schema), for telling "not tunable" from
    // "no such setting".
    private static readonly Dictionary<string, (string Name, Dictionary<string, string> Keys)> KnownSections = SettingsSchema.Root.Members
        .ToDictionary(
            section => section.Key,
            section => (CamelCase(section.Key), section.Value.Members.ToDictionary(k => k.Key, k => CamelCase(k.Key), StringComparer.OrdinalIgnoreCase)),
            StringComparer.OrdinalIgnoreCase);

    public static DesiredDocumentCheck Check(ReadOnlyMemory<byte> payload, int maxDocumentBytes)
    {
        var errors = new List<TuningError>();
        if (payload.Length > maxDocumentBytes)
        {
            errors.Add(new TuningError(string.Empty, TuningErrorCode.TooLarge, $"desired documents are limited to {maxDocumentBytes} bytes (got {payload.Length})"));
            return new DesiredDocumentCheck(null, null, errors);
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(payload, ParseOptions);
        }
        catch (JsonException e)
        {
            var where = e.LineNumber is { } line ? $" at line {line + 1}, byte {e.BytePositionInLine + 1}" : string.Empty;
            errors.Add(new TuningError(string.Empty, TuningErrorCode.NotJson, $"not valid JSON{where}"));
            return new DesiredDocumentCheck(null, null, errors);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                errors.Add(new TuningError(string.Empty, TuningErrorCode.NotAnObject, $"a desired document is an object {{\"version\": N, \"config\": {{...}}}} (got {TunableSetting.Describe(root)})"));
                return new DesiredDocumentCheck(null, null, errors);
            }

            long? version = null;
            JsonElement? config = null;
            var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            foreach (var property in root.EnumerateObject())
            {
                if (!seen.Add(property.Name))
                {
                    errors.Add(new TuningError(TunableSetting.Truncate(property.Name), TuningErrorCode.DuplicateField, "given more than once"));
                    continue;
                }

                if (string.Equals(property.Name, "version", StringComparison.OrdinalIgnoreCase))
                {
                    version = ReadVersion(property.Value, errors);
                }
                else if (string.Equals(property.Name, "config", StringComparison.OrdinalIgnoreCase))
                {
                    if (property.Value.ValueKind == JsonValueKind.Object)
                    {
                        config = property.Value;
                    }
                    else
                    {
                        errors.Add(new TuningError("config", TuningErrorCode.WrongType, $"must be an object (got {TunableSetting.Describe(property.Value)})"));
                    }
                }
                else
                {
                    errors.Add(new TuningError(TunableSetting.Truncate(property.Name), TuningErrorCode.UnknownField, "a desired document has only version and config"));
                }
            }

            if (!seen.Contains("version"))
            {
                errors.Add(new TuningError("version", TuningErrorCode.MissingField, "a desired document needs a version (a whole number that grows with every change)"));
            }

            if (!seen.Contains("config"))
            {
                errors.Add(new TuningError("config", TuningErrorCode.MissingField, "a desired document needs a config object"));
            }

            var changes = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
            if (config is { } configElement)
            {
                foreach (var property in configElement.EnumerateObject())
                {
                    if (property.Name.Contains('.', StringComparison.Ordinal))
                    {
                        var dot = property.Name.IndexOf('.', StringComparison.Ordinal);
                        CheckSetting(property.Name[..dot], property.Name[(dot + 1)..], property.Value, changes, errors);
                    }
                    else
                    {
                        CheckSection(property.Name, property.Value, changes, errors);
                    }
                }
            }

            if (errors.Count > MaxErrors)
            {
                var total = errors.Count;
                errors.RemoveRange(MaxErrors, errors.Count - MaxErrors);
                errors.Add(new TuningError(string.Empty, TuningErrorCode.InvalidValue, $"{total - MaxErrors} more errors not listed"));
            }

            return errors.Count == 0 && version is { } v
                ? new DesiredDocumentCheck(v, new DesiredDocument(v, changes), errors)
                : new DesiredDocumentCheck(version, null, errors);
        }
    }

    /// <summary>`maxBatchRows` from `MaxBatchRows`: the spelling desired documents and reports use.</summary>
    public static string CamelCase(string name) => name.Length == 0 ? name : char.ToLowerInvariant(name[0]) + name[1..];

    private static long? ReadVersion(JsonElement value, List<TuningError> errors)
    {
        if (value.ValueKind != JsonValueKind.Number)
        {
            errors.Add(new TuningError("version", TuningErrorCode.WrongType, $"must be a whole number (got {TunableSetting.Describe(value)})"));
            return null;
        }

        if (!value.TryGetInt64(out var version) || version < 1 || version > MaxVersion)
        {
            errors.Add(new TuningError("version", TuningErrorCode.OutOfRange, $"must be a whole number 1..{MaxVersion} (got {TunableSetting.Truncate(value.GetRawText())})"));
            return null;
        }

        return version;
    }

    private static void CheckSection(string sectionName, JsonElement value, Dictionary<string, JsonNode?> changes, List<TuningError> errors)
    {
        var known = KnownSections.TryGetValue(sectionName, out var section);
        var sectionPath = known ? section.Name : TunableSetting.Truncate(sectionName);
        if (value.ValueKind != JsonValueKind.Object)
        {
            errors.Add(known
                ? new TuningError(sectionPath, TuningErrorCode.WrongType, $"must be an object of settings (got {TunableSetting.Describe(value)})")
                : new TuningError(sectionPath, TuningErrorCode.UnknownField, "no such section"));
            return;
        }

        if (!known)
        {
            errors.Add(new TuningError(sectionPath, TuningErrorCode.UnknownField, $"no such section (tunable: {string.Join(", ", TunableSettings.All.Select(s => s.Path))})"));
            return;
        }

        foreach (var property in value.EnumerateObject())
        {
            CheckSetting(sectionName, property.Name, property.Value, changes, errors);
        }
    }

    private static void CheckSetting(string sectionName, string key, JsonElement value, Dictionary<string, JsonNode?> changes, List<TuningError> errors)
    {
        if (!KnownSections.TryGetValue(sectionName, out var section))
        {
            errors.Add(new TuningError(TunableSetting.Truncate($"{sectionName}.{key}"), TuningErrorCode.UnknownField, "no such section"));
            return;
        }

        var tunable = TunableSettings.Find($"{section.Name}.{key}");
        if (tunable is null)
        {
            if (section.Keys.TryGetValue(key, out var keyName))
            {
                errors.Add(new TuningError($"{section.Name}.{keyName}", TuningErrorCode.NotTunable,
                    "is set only in the local configuration (edgestore.json or EDGESTORE__ variables); remote tuning may not change it"));
            }
            else
            {
                errors.Add(new TuningError(TunableSetting.Truncate($"{section.Name}.{key}"), TuningErrorCode.UnknownField, "no such setting"));
            }

            return;
        }

        if (changes.ContainsKey(tunable.Path))
        {
            errors.Add(new TuningError(tunable.Path, TuningErrorCode.DuplicateField, "given more than once"));
            return;
        }

        if (value.ValueKind == JsonValueKind.Null)
        {
            changes[tunable.Path] = null;
            return;
        }

        var normalized = tunable.Check(value, errors);
        if (normalized is not null)
        {
            changes[tunable.Path] = normalized;
        }
    }
}
