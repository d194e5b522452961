using Microsoft.Extensions.Configuration;

namespace EdgeStore.Maintenance;

/// <summary>
/// Where the database lives, by the same rule as `edgestore run`: Storage:Path, else
/// $STATE_DIRECTORY/edgestore.db under systemd, else ./data/edgestore.db. The run marker and the
/// unclean-exit log live in the same directory (the state directory).
/// </summary>
internal static class DatabaseLocation
{
    public const string DefaultConfigFile = "/etc/edgestore/edgestore.json";

    public static string Resolve(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var configured = configuration["Storage:Path"];
        if (!string.IsNullOrWhiteSpace(configured))
        {
            return Path.GetFullPath(configured);
        }

        // systemd may list several state directories separated by ':'; the first is ours.
        var stateDirectory = Environment.GetEnvironmentVariable("STATE_DIRECTORY")?.Split(':', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        return Path.GetFullPath(stateDirectory is not null
            ? Path.Combine(stateDirectory, "edgestore.db")
            : Path.Combine("data", "edgestore.db"));
    }

    public static string StateDirectoryOf(string databasePath) =>
        Path.GetDirectoryName(Path.GetFullPath(databasePath)) ?? ".";

    /// <summary>
    /// Configuration for the maintenance commands (`backup`, `safe-mode`): the config file (a missing
    /// --config FILE is an error, a missing default file is fine), then EDGESTORE__SECTION__KEY variables.
    /// </summary>
    public static IConfiguration LoadForCommand(string? configFile)
    {
        if (configFile is not null && !File.Exists(configFile))
        {
            throw new FileNotFoundException($"config file {configFile} does not exist", configFile);
        }

        return new ConfigurationBuilder()
            .AddJsonFile(Path.GetFullPath(configFile ?? DefaultConfigFile), optional: configFile is null, reloadOnChange: false)
            .AddEnvironmentVariables("EDGESTORE__")
            .Build();
    }

    /// <summary>The database path for a command: --db wins, else the configuration's rule.</summary>
    public static string ForCommand(string? configFile, string? databaseOption) =>
        databaseOption is not null ? Path.GetFullPath(databaseOption) : Resolve(LoadForCommand(configFile));
}
