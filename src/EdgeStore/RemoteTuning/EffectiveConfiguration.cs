using System.Collections;
using System.Globalization;
using System.Reflection;
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
        var lines = new List<EffectiveSetting>();
        foreach (var section in typeof(EdgeStoreSettings).GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            Flatten(section.Name, section.GetValue(settings), lines, fileKeys, environmentKeys, remoteKeys);
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

    private static void Flatten(string key, object? value, List<EffectiveSetting> lines, IReadOnlyCollection<string> fileKeys, IReadOnlyCollection<string> environmentKeys, List<string> remoteKeys)
    {
        if (value is null || value is string || value.GetType().IsPrimitive || value is decimal)
        {
            lines.Add(new EffectiveSetting(key, Format(key, value), Source(key, fileKeys, environmentKeys, remoteKeys), Typed(key, value)));
            return;
        }

        if (value is IList list)
        {
            if (list.Count == 0)
            {
                lines.Add(new EffectiveSetting(key, "[]", Source(key, fileKeys, environmentKeys, remoteKeys), new JsonArray()));
            }

            for (var i = 0; i < list.Count; i++)
            {
                Flatten($"{key}:{i.ToString(CultureInfo.InvariantCulture)}", list[i], lines, fileKeys, environmentKeys, remoteKeys);
            }

            return;
        }

        foreach (var property in value.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
        {
            Flatten($"{key}:{property.Name}", property.GetValue(value), lines, fileKeys, environmentKeys, remoteKeys);
        }
    }

    private static string Source(string key, IReadOnlyCollection<string> fileKeys, IReadOnlyCollection<string> environmentKeys, List<string> remoteKeys)
    {
        static bool Covers(IEnumerable<string> keys, string key) => keys.Any(k =>
            string.Equals(k, key, StringComparison.OrdinalIgnoreCase)
            || key.StartsWith(k + ":", StringComparison.OrdinalIgnoreCase)
            || k.StartsWith(key + ":", StringComparison.OrdinalIgnoreCase));

        return Covers(remoteKeys, key) ? EffectiveSetting.FromRemote
            : Covers(environmentKeys, key) ? EffectiveSetting.FromEnvironment
            : Covers(fileKeys, key) ? EffectiveSetting.FromFile
            : EffectiveSetting.FromDefault;
    }

    private static string Format(string key, object? value)
    {
        if (Secrets.Contains(key))
        {
            return value is null ? "(none)" : "(set, not shown)";
        }

        return value switch
        {
            null => "(none)",
            bool b => b ? "true" : "false",
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            _ => value.ToString() ?? string.Empty,
        };
    }

    // The value as JSON keeps its type: numbers as numbers, switches as true/false, unset as null, secrets as a string.
    private static JsonNode? Typed(string key, object? value) => value switch
    {
        _ when Secrets.Contains(key) => JsonValue.Create(Format(key, value)),
        null => null,
        bool b => JsonValue.Create(b),
        int i => JsonValue.Create(i),
        long l => JsonValue.Create(l),
        double d => JsonValue.Create(d),
        decimal m => JsonValue.Create(m),
        string text => JsonValue.Create(text),
        _ => JsonValue.Create(Format(key, value)),
    };

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
