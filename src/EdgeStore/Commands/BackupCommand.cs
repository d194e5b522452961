using System.CommandLine;
using EdgeStore.Configuration;
using EdgeStore.Storage;
using EdgeStore.Storage.Maintenance;
using Microsoft.Data.Sqlite;

namespace EdgeStore.Commands;

/// <summary>
/// `edgestore backup PATH [--config FILE] [--db PATH] [--force]`: a consistent copy of the live
/// database through SQLite (`VACUUM INTO` from a read-only, mmap-0 connection), safe while the daemon
/// runs (docs/ARCHITECTURE.md, C3: never `cp` a live database). Written to a temporary file beside PATH, checked with
/// quick_check, then renamed into place; an existing PATH is kept unless --force.
/// Exit codes: 0 done, 1 failed, 2 bad arguments (missing database or config, PATH exists).
/// </summary>
internal static class BackupCommand
{
    public static Command Create()
    {
        var target = new Argument<string>("path") { Description = "File to write the backup to (must not exist unless --force)" };
        var config = new Option<string?>("--config") { Description = "Config file (default /etc/edgestore/edgestore.json)" };
        var database = new Option<string?>("--db") { Description = "Database file (default: Storage:Path from the config)" };
        var force = new Option<bool>("--force") { Description = "Replace PATH if it exists" };
        var command = new Command("backup", "Write a consistent copy of the database while EdgeStore runs") { target, config, database, force };
        command.SetAction((parseResult, ct) => RunAsync(
            parseResult.GetValue(target)!, parseResult.GetValue(config), parseResult.GetValue(database), parseResult.GetValue(force), Console.Out, Console.Error, ct));
        return command;
    }

    public static async Task<int> RunAsync(string targetPath, string? configFile, string? databaseOption, bool force, TextWriter output, TextWriter error, CancellationToken ct)
    {
        if (CommandDatabase.Resolve(SettingsLoader.ForCurrentProcess(), configFile, databaseOption, error) is not { } source)
        {
            return ExitCodes.InvalidInput;
        }

        if (!File.Exists(source))
        {
            await error.WriteLineAsync($"edgestore backup: no database at {source}");
            return 2;
        }

        var target = Path.GetFullPath(targetPath);
        if (string.Equals(target, source, StringComparison.Ordinal))
        {
            await error.WriteLineAsync("edgestore backup: PATH is the database itself");
            return 2;
        }

        if (File.Exists(target) && !force)
        {
            await error.WriteLineAsync($"edgestore backup: {target} exists; use --force to replace it");
            return 2;
        }

        var temporary = Path.Combine(Path.GetDirectoryName(target) ?? ".", $".{Path.GetFileName(target)}.partial-{Environment.ProcessId}");
        try
        {
            File.Delete(temporary);
            var started = TimeProvider.System.GetTimestamp();
            var bytes = await OnlineBackup.VacuumIntoAsync(source, temporary, ct);

            string check;
            var copy = SqliteConnectionFactory.OpenReadOnly(temporary);
            await using (copy)
            {
                check = await DatabaseCheck.QuickCheckAsync(copy, ct);
            }

            if (check != "ok")
            {
                await error.WriteLineAsync($"edgestore backup: the copy failed quick_check: {check}");
                File.Delete(temporary);
                return 1;
            }

            // The backup file is ours and closed: a plain rename is fine (it is not the live database).
            File.Move(temporary, target, overwrite: force);
            await output.WriteLineAsync($"backup {target}: {bytes} bytes from {source} in {TimeProvider.System.GetElapsedTime(started).TotalSeconds:F1} s, quick_check ok");
            return 0;
        }
        catch (Exception ex) when (ex is SqliteException or IOException or UnauthorizedAccessException)
        {
            await error.WriteLineAsync($"edgestore backup: {ex.Message}");
            TryDelete(temporary);
            return 1;
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (IOException)
        {
            // Best effort: a leftover partial file is named as such.
        }
    }
}
