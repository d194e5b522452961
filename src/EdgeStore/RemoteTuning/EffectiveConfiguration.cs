using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using EdgeStore.Configuration;
using EdgeStore.Maintenance;
using Microsoft.Extensions.Configuration;

namespace EdgeStore.RemoteTuning;

/// <summary>
/// Every effective setting with its source, as `edgestore run` would start with it now: defaults &lt; file &lt;
/// environment &lt; remote (tunables only, from the persisted tuning state next to the database). Reads only: a damaged
/// tuning file is reported, not set aside. Secrets are never printed.
/// </summary>
internal static class EffectiveConfiguration
{
    private static readonly HashSet<string> Secrets = new(StringComparer.OrdinalIgnoreCase) { "Mqtt:Password", "Uplink:Password" };

    public static IReadOnlyList<EffectiveSetting> Describe(
        EdgeStoreSettings settings,
        IReadOnlyCollection<string> fileKeys,
        IReadOnlyCollection<string> environmentKeys,
        TuningState tuning,
        long mmapCapBytes)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(tuning);
        var remoteKeys = new List<string>();
        if (tuning.Applied is { } applied)
        {
            var overrides = TuningResolver.Revalidate(applied.Overrides, dropped: null);
            var resolution = TuningResolver.Resolve(TunedValues.FromSettings(settings), overrides, mmapCapBytes);
            resolution.Effective.WriteTo(settings);
            remoteKeys.AddRange(overrides.Keys.Select(path => TunableSettings.Find(path)!.SettingKey));
        }

        FillDefaults(settings);
        // The settings as a JSON tree (code generated at build time, no reflection), walked in the schema's order: the
        // schema names every setting and nothing else (computed properties such as Memory:PollInterval are not settings).
        var tree = JsonSerializer.SerializeToNode(settings, EdgeStoreJsonContext.Default.EdgeStoreSettings);
        var lines = new List<EffectiveSetting>();
        foreach (var (name, shape) in SettingsSchema.Root.Members)
        {
            Flatten(name, shape, tree?[name], lines, new Sources(fileKeys, environmentKeys, remoteKeys));
        }

        return lines;
    }

    /// <summary>
    /// Writes into the unset settings the values the daemon uses for them (the defaults of <see cref="MaintenanceOptions"/>,
    /// which the settings leave null), so `config show` prints "90" and the 02:00 window rather than "(none)" and "[]".
    /// </summary>
    internal static void FillDefaults(EdgeStoreSettings settings)
    {
        var options = MaintenanceOptions.From(settings);
        var retention = settings.Retention;
        retention.MessagesDays ??= options.MessagesRetentionDays;
        retention.QuarantineDays ??= options.QuarantineRetentionDays;

        var maintenance = settings.Maintenance;
        if (maintenance.Windows.Count == 0)
        {
            maintenance.Windows = [.. options.Windows.Select(w => new MaintenanceWindowSettings
            {
                Start = w.Start.ToString("HH:mm", CultureInfo.InvariantCulture),
                Duration = DurationText.Format(w.Duration),
                Days = "Mon-Sun",
            })];
        }

        maintenance.TimeZone ??= options.TimeZone.Id;
        maintenance.RetentionChunkRows ??= options.RetentionChunkRows;
        maintenance.VacuumFreePagePercent ??= (int)Math.Round(options.VacuumFreePageRatio * 100);
        maintenance.VacuumFreeMiB ??= options.VacuumFreeBytes >> 20;
        maintenance.VacuumMinFreeKiB ??= options.VacuumMinFreeBytes >> 10;
        maintenance.WalHardLimitMiB ??= options.WalHardLimitBytes >> 20;
        maintenance.WalGuardInterval ??= DurationText.Format(options.WalGuardInterval);
        maintenance.OnDemandBudget ??= DurationText.Format(options.OnDemandBudget);
        maintenance.CheckpointRetryDelay ??= DurationText.Format(options.CheckpointRetryDelay);

        var storage = settings.Storage;
        storage.MinFreeBytes ??= options.MinFreeBytes;
        storage.MinFreePercent ??= (int)options.MinFreePercent;
        storage.DiskFullPolicy ??= options.DiskFullPolicy.ToString();
        storage.DiskCheckInterval ??= DurationText.Format(options.DiskCheckInterval);

        var safeMode = settings.SafeMode;
        safeMode.UncleanExits ??= options.SafeModeUncleanExits;
        safeMode.Period ??= DurationText.Format(options.SafeModePeriod);
        safeMode.CalmPeriod ??= DurationText.Format(options.SafeModeCalmPeriod);
    }

    /// <summary>The keys a configuration tree sets (`Mqtt:Port`, `Mqtt:Subscriptions:0:Filter`), for telling sources apart.</summary>
    public static IReadOnlyCollection<string> KeysOf(IConfiguration configuration) =>
        configuration.AsEnumerable().Where(pair => pair.Value is not null).Select(pair => pair.Key).ToHashSet(StringComparer.OrdinalIgnoreCase);

    private static void Flatten(string key, SettingShape shape, JsonNode? value, List<EffectiveSetting> lines, Sources sources)
    {
        if (shape.IsScalar || value is null)
        {
            lines.Add(new EffectiveSetting(key, Format(key, value), Source(key, sources), Typed(key, value)));
            return;
        }

        if (shape.Kind == SettingKind.List)
        {
            var list = value.AsArray();
            if (list.Count == 0)
            {
                lines.Add(new EffectiveSetting(key, "[]", Source(key, sources), new JsonArray()));
            }

            for (var i = 0; i < list.Count; i++)
            {
                Flatten($"{key}:{i.ToString(CultureInfo.InvariantCulture)}", shape.Element!, list[i], lines, sources);
            }

            return;
        }

        foreach (var (name, member) in shape.Members)
        {
            Flatten($"{key}:{name}", member, value[name], lines, sources);
        }
    }

    private sealed record Sources(IReadOnlyCollection<string> File, IReadOnlyCollection<string> Environment, List<string> Remote);

    private static string Source(string key, Sources sources)
    {
        static bool Covers(IEnumerable<string> keys, string key) => keys.Any(k =>
            string.Equals(k, key, StringComparison.OrdinalIgnoreCase)
            || key.StartsWith(k + ":", StringComparison.OrdinalIgnoreCase)
            || k.StartsWith(key + ":", StringComparison.OrdinalIgnoreCase));

        return Covers(sources.Remote, key) ? EffectiveSetting.FromRemote
            : Covers(sources.Environment, key) ? EffectiveSetting.FromEnvironment
            : Covers(sources.File, key) ? EffectiveSetting.FromFile
            : EffectiveSetting.FromDefault;
    }

    private static string Format(string key, JsonNode? value)
    {
        if (Secrets.Contains(key))
        {
            return value is null ? "(none)" : "(set, not shown)";
        }

        return value switch
        {
            null => "(none)",
            JsonValue text when text.GetValueKind() == JsonValueKind.String => text.GetValue<string>(),
            _ => value.ToJsonString(),
        };
    }

    // The value as JSON keeps its type: numbers as numbers, switches as true/false, unset as null, secrets as a string.
    private static JsonNode? Typed(string key, JsonNode? value) =>
        Secrets.Contains(key) ? JsonValue.Create(Format(key, value)) : value?.DeepClone();

    /// <summary>
    /// The same lines as JSON (`--format json`), values typed: `{"Ingest:MaxBatchRows": {"value": 500, "source":
    /// "remote"}, "Mqtt:Host": {"value": "127.0.0.1", ...}, "Mqtt:Username": {"value": null, ...}, ...}`.
    /// </summary>
    internal static JsonObject ToJson(IReadOnlyList<EffectiveSetting> lines)
    {
        var root = new JsonObject();
        foreach (var line in lines)
        {
            root[line.Key] = new JsonObject { ["value"] = line.Json?.DeepClone(), ["source"] = line.Source };
        }

        return root;
    }
}

/// <summary>One line of `edgestore config show`: a setting key (`Ingest:MaxBatchRows`), its effective value, and where it came from.</summary>
internal sealed record EffectiveSetting(string Key, string Value, string Source, JsonNode? Json = null)
{
    public const string FromDefault = "default";
    public const string FromFile = "file";
    public const string FromEnvironment = "environment";
    public const string FromRemote = "remote";
}
