using EdgeStore.Configuration;
using EdgeStore.Storage;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace EdgeStore.Commands;

/// <summary>
/// The one way a command reads the store (`query`, `topics`, `quarantine`): the database is found by
/// <see cref="CommandDatabase"/>'s rule and read as any other process would, read-only with mmap_size=0
/// (<see cref="TelemetryReader.OpenReadOnly"/>), so it can never be hit by SIGBUS when the daemon's maintenance
/// shrinks the file (docs/ARCHITECTURE.md, C3), and it is never opened for writing. Every failure is one line naming
/// the database and what to do, with exit code 2 for a bad configuration and 1 for a database that cannot be read.
/// </summary>
internal static class StoreReading
{
    public static async Task<int> RunAsync(
        string command, string? configFile, string? databaseOption, TextWriter error, Func<TelemetryReader, Task> read)
    {
        if (CommandDatabase.Resolve(SettingsLoader.ForCurrentProcess(), configFile, databaseOption, error) is not { } path)
        {
            return ExitCodes.InvalidInput;
        }

        if (!File.Exists(path))
        {
            await error.WriteLineAsync(NoDatabase(command, path));
            return ExitCodes.Failure;
        }

        try
        {
            await read(TelemetryReader.OpenReadOnly(path));
            return ExitCodes.Ok;
        }
        catch (FileNotFoundException)
        {
            await error.WriteLineAsync(NoDatabase(command, path));
        }
        catch (SqliteException e)
        {
            await error.WriteLineAsync(
                $"edgestore {command}: cannot read the database ({path}): {raw.sqlite3_errstr(e.SqliteErrorCode).utf8_to_string()}; " +
                "check that it is an EdgeStore database and that this user may read it and its -wal and -shm files");
        }
        catch (UnsupportedSchemaVersionException e) when (e.KnownVersion > 0)
        {
            await error.WriteLineAsync(
                $"edgestore {command}: the database was written by a newer EdgeStore, schema version {e.FoundVersion} ({path}); " +
                $"read it with that EdgeStore (this one knows schema versions up to {e.KnownVersion})");
        }
        catch (UnsupportedSchemaVersionException)
        {
            await error.WriteLineAsync(
                $"edgestore {command}: not an EdgeStore database, or one the daemon has not migrated yet ({path}); " +
                "check --db and Storage:Path, or start the daemon once so that it migrates the file");
        }

        return ExitCodes.Failure;
    }

    private static string NoDatabase(string command, string path) =>
        $"edgestore {command}: no database ({path}); check --db, or Storage:Path in the configuration";
}
