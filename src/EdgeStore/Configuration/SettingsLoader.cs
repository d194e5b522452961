using System.Collections;
using System.Text.Json;
using EdgeStore.Decoding;
using Microsoft.Extensions.Configuration;

namespace EdgeStore.Configuration;

/// <summary>
/// Reads the configuration the way the contract says: the JSON file (the `--config` path, or /etc/edgestore/edgestore.json
/// when it exists), then `EDGESTORE__SECTION__KEY` environment variables on top (file &lt; environment). Both sources
/// are checked against the settings' shape, bound, completed with machine-dependent defaults and validated. Every
/// error is collected; the caller prints them and exits with code 2.
/// </summary>
internal sealed class SettingsLoader
{
    public const string DefaultConfigFile = "/etc/edgestore/edgestore.json";
    public const string EnvironmentPrefix = "EDGESTORE__";
    public const int DefaultMmapSizeMiB = 256;

    private readonly IReadOnlyDictionary<string, string?> _environment;
    private readonly MachineFacts? _machine;
    private readonly string _defaultConfigFile;

    /// <param name="environment">The process environment (EDGESTORE__* and STATE_DIRECTORY are read from it).</param>
    /// <param name="machine">Host name and RAM, for defaults; null reads this machine under the loaded `Memory:FilesRoot`.</param>
    /// <param name="defaultConfigFile">The file read when no --config is given; tests point it elsewhere.</param>
    public SettingsLoader(IReadOnlyDictionary<string, string?> environment, MachineFacts? machine, string defaultConfigFile = DefaultConfigFile)
    {
        _environment = environment;
        _machine = machine;
        _defaultConfigFile = defaultConfigFile;
    }

    /// <summary>A loader over this process's environment and machine.</summary>
    public static SettingsLoader ForCurrentProcess()
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            environment[(string)entry.Key] = entry.Value as string;
        }

        return new SettingsLoader(environment, machine: null);
    }

    /// <summary>
    /// Loads the settings. <paramref name="configFile"/> null means the default file, which may be missing (defaults
    /// apply); a file named explicitly must exist.
    /// </summary>
    public SettingsLoadResult Load(string? configFile)
    {
        var errors = new List<SettingsError>();
        var notices = new List<string>();

        var explicitFile = configFile is not null;
        var path = configFile ?? _defaultConfigFile;
        IConfiguration? fileConfiguration = null;
        string? usedFile = null;
        if (File.Exists(path))
        {
            usedFile = Path.GetFullPath(path);
            fileConfiguration = ReadFile(usedFile, errors);
        }
        else if (explicitFile)
        {
            errors.Add(new SettingsError("--config", $"file not found: {path}"));
        }

        var (environmentConfiguration, variableNames) = ReadEnvironment();

        if (errors.Count > 0)
        {
            return new SettingsLoadResult(null, errors, notices, usedFile);
        }

        // Unknown keys are reported together with the validation errors (the binder ignores them); values of the
        // wrong type stop here, because binding them would fail.
        var badValues = new List<SettingsError>();
        if (fileConfiguration is not null)
        {
            SettingsSchema.Check(fileConfiguration, _ => $"in {usedFile}", errors, badValues);
        }

        SettingsSchema.Check(environmentConfiguration, keyPath => $"from environment variable {DescribeVariables(keyPath, variableNames)}", errors, badValues);
        if (badValues.Count > 0)
        {
            errors.AddRange(badValues);
            return new SettingsLoadResult(null, errors, notices, usedFile);
        }

        var combined = new ConfigurationBuilder();
        if (fileConfiguration is not null)
        {
            combined.AddConfiguration(fileConfiguration);
        }

        combined.AddConfiguration(environmentConfiguration);
        var configuration = combined.Build();
        var settings = new EdgeStoreSettings();
        configuration.Bind(settings);

        var machine = _machine ?? MachineFacts.Read(Path.IsPathRooted(settings.Memory.FilesRoot) ? settings.Memory.FilesRoot : "/");
        ApplyDefaults(settings, machine);
        SettingsValidator.Validate(settings, errors);
        if (errors.Count > 0)
        {
            return new SettingsLoadResult(null, errors, notices, usedFile);
        }

        // After validation, so an out-of-range value is refused (as a desired document would be) rather than capped.
        CapMmap(settings, machine, notices);
        return new SettingsLoadResult(settings, errors, notices, usedFile) { Configuration = configuration, Machine = machine };
    }

    private static IConfiguration? ReadFile(string path, List<SettingsError> errors)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            errors.Add(new SettingsError(path, e is UnauthorizedAccessException
                ? $"cannot be read: permission denied for {Environment.UserName} (the packaged file is root:edgestore 0640; run as root, e.g. with sudo, or as a member of group edgestore)"
                : $"cannot be read: {e.Message}"));
            return null;
        }

        // Parse once ourselves first: the JSON configuration provider's errors do not say where in the file the
        // problem is in a form an operator can act on. Comments and trailing commas are accepted, as the provider does.
        try
        {
            using var document = JsonDocument.Parse(bytes, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                errors.Add(new SettingsError(path, $"must hold a JSON object at the top level (found {document.RootElement.ValueKind})"));
                return null;
            }
        }
        catch (JsonException e)
        {
            errors.Add(new SettingsError(path, $"malformed JSON at {JsonErrorText.Position(e)}: {JsonErrorText.Reason(e)}"));
            return null;
        }

        try
        {
            return new ConfigurationBuilder().AddJsonStream(new MemoryStream(bytes)).Build();
        }
        catch (FormatException e)
        {
            // For example a key given twice, which JSON allows but configuration does not.
            errors.Add(new SettingsError(path, e.Message));
            return null;
        }
    }

    /// <summary>`EDGESTORE__MQTT__PORT=1` becomes `MQTT:PORT`, exactly as AddEnvironmentVariables("EDGESTORE__") maps it.</summary>
    private (IConfiguration Configuration, Dictionary<string, string> VariableNames) ReadEnvironment()
    {
        var values = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        var names = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, value) in _environment)
        {
            if (!name.StartsWith(EnvironmentPrefix, StringComparison.OrdinalIgnoreCase) || name.Length == EnvironmentPrefix.Length)
            {
                continue;
            }

            var key = name[EnvironmentPrefix.Length..].Replace("__", ConfigurationPath.KeyDelimiter, StringComparison.Ordinal);
            values[key] = value;
            names[key] = name;
        }

        return (new ConfigurationBuilder().AddInMemoryCollection(values).Build(), names);
    }

    private static string DescribeVariables(string keyPath, Dictionary<string, string> variableNames)
    {
        var matching = variableNames
            .Where(pair => string.Equals(pair.Key, keyPath, StringComparison.OrdinalIgnoreCase)
                || pair.Key.StartsWith(keyPath + ConfigurationPath.KeyDelimiter, StringComparison.OrdinalIgnoreCase))
            .Select(pair => pair.Value)
            .Order(StringComparer.Ordinal)
            .ToList();
        return matching.Count > 0 ? string.Join(", ", matching) : EnvironmentPrefix + keyPath.Replace(ConfigurationPath.KeyDelimiter, "__", StringComparison.Ordinal);
    }

    private void ApplyDefaults(EdgeStoreSettings settings, MachineFacts machine)
    {
        settings.Node.Id = Blank(settings.Node.Id) ?? machine.HostName;
        settings.Mqtt.ClientId = Blank(settings.Mqtt.ClientId) ?? $"edgestore-{settings.Node.Id}";
        settings.Mqtt.Username = Blank(settings.Mqtt.Username);
        settings.Mqtt.Password = Blank(settings.Mqtt.Password);
        settings.Mqtt.Tls.CaFile = Blank(settings.Mqtt.Tls.CaFile);
        settings.Mqtt.Tls.ClientCertificateFile = Blank(settings.Mqtt.Tls.ClientCertificateFile);
        settings.Mqtt.Tls.ClientKeyFile = Blank(settings.Mqtt.Tls.ClientKeyFile);
        settings.Mqtt.Tls.ServerName = Blank(settings.Mqtt.Tls.ServerName);
        if (settings.Mqtt.Subscriptions.Count == 0)
        {
            settings.Mqtt.Subscriptions.Add(new MqttSubscriptionSettings { Filter = "sensors/#", Qos = 1 });
        }

        settings.Storage.Path = Blank(settings.Storage.Path) ?? DefaultDatabasePath();

        var uplink = settings.Uplink;
        uplink.Host = Blank(uplink.Host);
        uplink.ClientId = Blank(uplink.ClientId) ?? $"edgestore-uplink-{settings.Node.Id}";
        uplink.TopicPrefix = Blank(uplink.TopicPrefix) ?? $"gateways/{settings.Node.Id}";
        uplink.Username = Blank(uplink.Username);
        uplink.Password = Blank(uplink.Password);
        uplink.Tls.CaFile = Blank(uplink.Tls.CaFile);
        uplink.Tls.ClientCertificateFile = Blank(uplink.Tls.ClientCertificateFile);
        uplink.Tls.ClientKeyFile = Blank(uplink.Tls.ClientKeyFile);
        uplink.Tls.ServerName = Blank(uplink.Tls.ServerName);
    }

    /// <summary>The default mmap size, min(256 MiB, cap), and any configured size lowered to the cap (with a notice).</summary>
    private static void CapMmap(EdgeStoreSettings settings, MachineFacts machine, List<string> notices)
    {
        // The daemon's memory capability clamps with the same cap (MmapCap, from the same effective memory).
        var capMiB = (int)(machine.MmapCapBytes / (1024 * 1024));
        if (settings.Storage.MmapSizeMiB is null)
        {
            settings.Storage.MmapSizeMiB = Math.Min(DefaultMmapSizeMiB, capMiB);
        }
        else if (settings.Storage.MmapSizeMiB > capMiB)
        {
            notices.Add($"Storage:MmapSizeMiB {settings.Storage.MmapSizeMiB} is more than 25% of effective RAM ({machine.Memory.Source}); using {capMiB} MiB");
            settings.Storage.MmapSizeMiB = capMiB;
        }
    }

    /// <summary>`$STATE_DIRECTORY/edgestore.db` under systemd (the first directory when it lists several), else `./data/edgestore.db`.</summary>
    private string DefaultDatabasePath()
    {
        _environment.TryGetValue("STATE_DIRECTORY", out var stateDirectory);
        var first = stateDirectory?.Split(':', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        return first is not null ? Path.Combine(first, "edgestore.db") : Path.Combine(".", "data", "edgestore.db");
    }

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
