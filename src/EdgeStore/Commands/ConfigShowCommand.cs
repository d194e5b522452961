using System.Collections;
using System.CommandLine;
using System.Globalization;
using EdgeStore.Configuration;
using EdgeStore.RemoteTuning;
using Microsoft.Extensions.Configuration;

namespace EdgeStore.Commands;

/// <summary>
/// `edgestore config show [--config FILE] [--format text|json]`: every effective setting with its source (default,
/// file, environment, remote), read the way `edgestore run` reads them, without starting anything.
/// </summary>
internal static class ConfigShowCommand
{
    public static Command Create()
    {
        var config = new Option<string?>("--config")
        {
            Description = $"Configuration file (default {SettingsLoader.DefaultConfigFile}). EDGESTORE__SECTION__KEY variables override it, remote tuning overrides both.",
            HelpName = "FILE",
        };
        var format = ChoiceOption.Create("--format", "Output format.", "text", "text", "json");
        var show = new Command("show", "Print every effective setting and where its value comes from.") { config, format };
        show.SetAction(parseResult => Show(parseResult.GetValue(config), parseResult.GetValue(format) ?? "text", Console.Out, Console.Error));
        return new Command("config", "Inspect the configuration.") { show };
    }

    public static int Show(string? configFile, string format, TextWriter output, TextWriter error) =>
        Show(SettingsLoader.ForCurrentProcess(), configFile, format, output, error);

    public static int Show(SettingsLoader loader, string? configFile, string format, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(loader);
        var loaded = loader.Load(configFile);
        if (!loaded.IsValid)
        {
            return ConfigurationErrors.Report(loaded.Errors, error);
        }

        var settings = loaded.Settings!;
        IReadOnlyCollection<string> fileKeys = [];
        if (loaded.ConfigFile is { } file)
        {
            fileKeys = EffectiveConfiguration.KeysOf(new ConfigurationBuilder().AddJsonFile(file, optional: false, reloadOnChange: false).Build());
        }

        var environment = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            var name = (string)entry.Key;
            if (name.StartsWith(SettingsLoader.EnvironmentPrefix, StringComparison.OrdinalIgnoreCase) && name.Length > SettingsLoader.EnvironmentPrefix.Length)
            {
                environment[name[SettingsLoader.EnvironmentPrefix.Length..].Replace("__", ":", StringComparison.Ordinal)] = entry.Value as string;
            }
        }

        var environmentKeys = EffectiveConfiguration.KeysOf(new ConfigurationBuilder().AddInMemoryCollection(environment).Build());
        var stateFile = TuningStateFile.ForDatabase(settings.Storage.Path!);
        TuningState tuning;
        string tuningLine;
        try
        {
            tuning = stateFile.Read();
            tuningLine = tuning.Applied is { } applied
                ? $"remote tuning: version {applied.Version} ({tuning.Status}{(applied.Confirmed ? ", confirmed" : ", on probation")}) from {stateFile.Path}"
                : $"remote tuning: none in force ({stateFile.Path})";
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            tuning = TuningState.Empty;
            tuningLine = $"remote tuning: {stateFile.Path} is unreadable ({e.Message}); the daemon will set it aside and use the local configuration";
        }

        var capBytes = loaded.Machine!.MmapCapBytes;
        var lines = EffectiveConfiguration.Describe(settings, fileKeys, environmentKeys, tuning, capBytes);
        if (format == "json")
        {
            var root = EffectiveConfiguration.ToJson(lines);
            output.WriteLine(root.ToJsonString(ControlJson.Indented));
            return ExitCodes.Ok;
        }

        output.WriteLine($"configuration file: {loaded.ConfigFile ?? "none (defaults)"}");
        output.WriteLine(tuningLine);
        output.WriteLine("precedence: default < file < environment < remote (remote tuning overrides only the tunable settings)");
        var keyWidth = lines.Max(l => l.Key.Length);
        var valueWidth = Math.Min(60, lines.Max(l => l.Value.Length));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{"SETTING".PadRight(keyWidth)}  {"VALUE".PadRight(valueWidth)}  SOURCE"));
        foreach (var line in lines)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{line.Key.PadRight(keyWidth)}  {line.Value.PadRight(valueWidth)}  {line.Source}"));
        }

        return ExitCodes.Ok;
    }
}
