using EdgeStore.Configuration;

namespace EdgeStore.Commands;

/// <summary>
/// The database a command works on, by the one rule of <see cref="SettingsLoader"/>: the configuration is loaded and
/// validated exactly as `edgestore run` loads it (a bad configuration is refused with exit code 2 naming the field,
/// even when --db is given, so a command never acts on settings the daemon would refuse), then `--db` wins over
/// `Storage:Path`, whose default is `$STATE_DIRECTORY/edgestore.db` under systemd, else `./data/edgestore.db`.
/// </summary>
internal static class CommandDatabase
{
    /// <summary>The absolute database path, or null after printing every configuration error to <paramref name="error"/>.</summary>
    public static string? Resolve(SettingsLoader loader, string? configFile, string? databaseOption, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(loader);
        var loaded = loader.Load(configFile);
        if (!loaded.IsValid)
        {
            ConfigurationErrors.Report(loaded.Errors, error);
            return null;
        }

        return Path.GetFullPath(databaseOption ?? loaded.Settings!.Storage.Path!);
    }
}
