using System.Text.Json;
using System.Text.Json.Nodes;

namespace EdgeStore.RemoteTuning;

/// <summary>
/// Puts the remote overrides on top of the local baseline (precedence: defaults &lt; file &lt; environment &lt; remote,
/// tunables only) and then applies the machine-dependent hard bound: the memory map never exceeds the cap (25% of
/// effective RAM), whatever was asked; a clamp is not an error, it is reported.
/// </summary>
internal static class TuningResolver
{
    /// <summary>SQLite's own ceiling (SQLITE_MAX_MMAP_SIZE, 2147418112 bytes) in whole MiB.</summary>
    public const int EngineMmapCeilingMiB = (int)(EdgeStore.Storage.SqliteConnectionFactory.EngineMmapCeilingBytes / (1024 * 1024));

    public static TuningResolution Resolve(TunedValues baseline, IReadOnlyDictionary<string, JsonNode> overrides, long mmapCapBytes)
    {
        ArgumentNullException.ThrowIfNull(baseline);
        ArgumentNullException.ThrowIfNull(overrides);
        var effective = baseline;
        foreach (var (path, value) in overrides)
        {
            var setting = TunableSettings.Find(path) ?? throw new InvalidOperationException($"no tunable setting {path}");
            effective = setting.Write(effective, value);
        }

        var clamped = new List<ClampedSetting>();
        var capMiB = (int)Math.Min(int.MaxValue, Math.Max(0, mmapCapBytes) / (1024 * 1024));
        var limitMiB = Math.Min(capMiB, EngineMmapCeilingMiB);
        if (effective.MmapSizeMiB > limitMiB)
        {
            var reason = capMiB <= EngineMmapCeilingMiB
                ? $"the memory map is capped at 25% of effective RAM ({capMiB} MiB)"
                : $"the memory map is capped at 25% of effective RAM ({capMiB} MiB) and SQLite maps at most {EngineMmapCeilingMiB} MiB";
            clamped.Add(new ClampedSetting("storage.mmapSizeMiB", effective.MmapSizeMiB, limitMiB, reason));
            effective = effective with { MmapSizeMiB = limitMiB };
        }

        return new TuningResolution(effective, clamped);
    }

    /// <summary>The overrides after a document's changes: set values replace, null values remove (the local value applies again).</summary>
    public static SortedDictionary<string, JsonNode> Merge(IReadOnlyDictionary<string, JsonNode> current, DesiredDocument document)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(document);
        var merged = new SortedDictionary<string, JsonNode>(StringComparer.Ordinal);
        foreach (var (path, value) in current)
        {
            merged[path] = value.DeepClone();
        }

        foreach (var (path, value) in document.Changes)
        {
            if (value is null)
            {
                merged.Remove(path);
            }
            else
            {
                merged[path] = value.DeepClone();
            }
        }

        return merged;
    }

    /// <summary>Every tunable as a nested object (`{"ingest": {"maxBatchRows": 2000}, ...}`), the shape of `effective` in reports.</summary>
    public static JsonObject ToNested(TunedValues values)
    {
        var root = new JsonObject();
        foreach (var setting in TunableSettings.All)
        {
            var dot = setting.Path.IndexOf('.', StringComparison.Ordinal);
            var section = setting.Path[..dot];
            if (root[section] is not JsonObject sectionObject)
            {
                sectionObject = new JsonObject();
                root[section] = sectionObject;
            }

            sectionObject[setting.Path[(dot + 1)..]] = setting.Read(values);
        }

        return root;
    }

    /// <summary>Overrides as a nested object, the shape a desired document's config has.</summary>
    public static JsonObject OverridesToNested(IReadOnlyDictionary<string, JsonNode> overrides)
    {
        var root = new JsonObject();
        foreach (var (path, value) in overrides)
        {
            var dot = path.IndexOf('.', StringComparison.Ordinal);
            var section = path[..dot];
            if (root[section] is not JsonObject sectionObject)
            {
                sectionObject = new JsonObject();
                root[section] = sectionObject;
            }

            sectionObject[path[(dot + 1)..]] = value.DeepClone();
        }

        return root;
    }

    /// <summary>
    /// Persisted overrides checked again against today's table (an upgrade may have changed a bound or dropped a
    /// setting): those that fail are left out and passed to <paramref name="dropped"/> (path, value, reason).
    /// </summary>
    public static SortedDictionary<string, JsonNode> Revalidate(IReadOnlyDictionary<string, JsonNode> overrides, Action<string, string, string>? dropped)
    {
        ArgumentNullException.ThrowIfNull(overrides);
        var kept = new SortedDictionary<string, JsonNode>(StringComparer.Ordinal);
        foreach (var (path, value) in overrides)
        {
            var setting = TunableSettings.Find(path);
            var errors = new List<TuningError>();
            using var element = JsonDocument.Parse(value.ToJsonString());
            var normalized = setting?.Check(element.RootElement, errors);
            if (setting is null || normalized is null)
            {
                dropped?.Invoke(path, value.ToJsonString(), setting is null ? "no longer tunable" : string.Join("; ", errors.Select(e => e.Message)));
                continue;
            }

            kept[setting.Path] = normalized;
        }

        return kept;
    }
}
