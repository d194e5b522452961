using System.CommandLine;
using System.Globalization;
using EdgeStore.Configuration;
using EdgeStore.Storage;
using EdgeStore.Storage.Maintenance;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace EdgeStore.Commands;

/// <summary>
/// `edgestore backup PATH [--config FILE] [--db PATH] [--force]`: a consistent copy of the live
/// database through SQLite (`VACUUM INTO` from a read-only, mmap-0 connection), safe while the daemon
/// runs (docs/ARCHITECTURE.md, C3: never `cp` a live database). Written to a temporary file beside PATH, checked with
/// quick_check, then renamed into place; an existing PATH is kept unless --force. Progress goes to stderr about once a
/// second, the result to stdout ("copied 1.2 GiB to PATH in 14 s").
/// Exit codes: 0 done, 1 failed while copying, 2 bad arguments (missing database or config; PATH is a directory, is
/// in a missing directory, or exists). Every refusal is one line naming the path and what to do.
/// </summary>
internal static class BackupCommand
{
    private const string Name = "backup";

    /// <summary>How often progress is printed while the copy runs.</summary>
    internal static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(1);

    public static Command Create()
    {
        var target = new Argument<string>("path") { Description = "File to write the backup to (must not exist unless --force)" };
        var config = new Option<string?>("--config") { Description = "Configuration file to take Storage:Path from (default /etc/edgestore/edgestore.json).", HelpName = "FILE" };
        var database = new Option<string?>("--db") { Description = "Database file (default: Storage:Path from the configuration).", HelpName = "PATH" };
        var force = new Option<bool>("--force") { Description = "Replace PATH if it exists" };
        var command = new Command(Name, "Write a consistent copy of the database while EdgeStore runs") { target, config, database, force };
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
            return await RefuseAsync(error, $"no database ({source}); check --db, or Storage:Path in the configuration");
        }

        var target = Path.GetFullPath(targetPath);
        var directory = Path.GetDirectoryName(target) ?? "/";
        if (string.Equals(target, source, StringComparison.Ordinal))
        {
            return await RefuseAsync(error, $"the target is the database itself ({target}); give another path");
        }

        if (Directory.Exists(target))
        {
            return await RefuseAsync(error, $"the target is a directory ({target}); give a file name in it, such as {Path.Combine(target, "edgestore-backup.db")}");
        }

        if (!Directory.Exists(directory))
        {
            return await RefuseAsync(error, $"no such directory ({directory}); create it first, or give a path in an existing directory");
        }

        if (File.Exists(target) && !force)
        {
            return await RefuseAsync(error, $"the target already exists ({target}); give another path, or add --force to replace it");
        }

        long expectedBytes;
        try
        {
            expectedBytes = EstimateCopyBytes(source);
        }
        catch (SqliteException e)
        {
            await error.WriteLineAsync(
                $"edgestore {Name}: cannot read the database ({source}): {Reason(e)}; check --db, and that this user may read it and its -wal and -shm files");
            return ExitCodes.Failure;
        }

        var temporary = Path.Combine(directory, $".{Path.GetFileName(target)}.partial-{Environment.ProcessId}");
        try
        {
            File.Delete(temporary);
            var started = TimeProvider.System.GetTimestamp();
            await error.WriteLineAsync($"edgestore {Name}: copying {source} (about {HumanBytes.Format(expectedBytes)}) to {target}");

            // VACUUM INTO, not SQLite's online backup API: the backup API copies in steps, and a step that finds the
            // source changed by another process (the daemon, ingesting) starts the copy over, so under steady ingest a
            // stepped backup may never finish; VACUUM INTO copies one snapshot in one read transaction and leaves the
            // free pages behind. It reports no progress, so progress is the size of the file it writes against the
            // pages in use (an estimate: shown up to 99% until the copy is done). Microsoft.Data.Sqlite runs the
            // statement synchronously, hence the thread-pool task.
            var copy = Task.Run(() => OnlineBackup.VacuumIntoAsync(source, temporary, ct), ct);
            while (await Task.WhenAny(copy, Task.Delay(ProgressInterval, ct)) != copy)
            {
                var written = WrittenBytes(temporary);
                var percent = expectedBytes > 0 ? Math.Min(99, written * 100 / expectedBytes) : 0;
                await error.WriteLineAsync(string.Create(
                    CultureInfo.InvariantCulture,
                    $"edgestore {Name}: {HumanBytes.Format(written)} of about {HumanBytes.Format(expectedBytes)} ({percent}%), {TimeProvider.System.GetElapsedTime(started).TotalSeconds:F0} s"));
            }

            var bytes = await copy;
            string check;
            var copied = SqliteConnectionFactory.OpenReadOnly(temporary);
            await using (copied)
            {
                check = await DatabaseCheck.QuickCheckAsync(copied, ct);
            }

            if (check != "ok")
            {
                TryDelete(temporary);
                await error.WriteLineAsync(
                    $"edgestore {Name}: the copy failed quick_check ({target}): {OneLine(check)}; nothing was written: check the database with the daemon's integrity check and try again");
                return ExitCodes.Failure;
            }

            // The backup file is ours and closed: a plain rename is fine (it is not the live database).
            File.Move(temporary, target, overwrite: force);
            var elapsed = TimeProvider.System.GetElapsedTime(started).TotalSeconds;
            await output.WriteLineAsync(string.Create(
                CultureInfo.InvariantCulture,
                $"copied {HumanBytes.Format(bytes)} to {target} in {(elapsed < 10 ? elapsed.ToString("F1", CultureInfo.InvariantCulture) : elapsed.ToString("F0", CultureInfo.InvariantCulture))} s, quick_check ok"));
            return ExitCodes.Ok;
        }
        catch (Exception e) when (e is SqliteException or IOException or UnauthorizedAccessException)
        {
            TryDelete(temporary);
            await error.WriteLineAsync(
                $"edgestore {Name}: the backup failed ({target}): {Reason(e)}; check that the directory is writable by this user and has room, then run it again");
            return ExitCodes.Failure;
        }
    }

    private static async Task<int> RefuseAsync(TextWriter error, string message)
    {
        await error.WriteLineAsync($"edgestore {Name}: {message}");
        return ExitCodes.InvalidInput;
    }

    // What VACUUM INTO writes: the pages in use, read from the same snapshot rules (read-only, mmap 0).
    private static long EstimateCopyBytes(string source)
    {
        using var connection = SqliteConnectionFactory.OpenReadOnly(source);
        var space = DatabaseSpaceReport.Read(connection);
        return space.FileBytes - space.FreeBytes;
    }

    private static long WrittenBytes(string path)
    {
        try
        {
            return new FileInfo(path).Length;
        }
        catch (FileNotFoundException)
        {
            return 0;
        }
    }

    /// <summary>The cause in the words of SQLite or the operating system, without .NET's wording or the path again.</summary>
    private static string Reason(Exception e) => e switch
    {
        SqliteException sqlite => raw.sqlite3_errstr(sqlite.SqliteErrorCode).utf8_to_string(),
        UnauthorizedAccessException => "permission denied",
        _ => OneLine(e.Message.Split(" : '", 2)[0]),
    };

    private static string OneLine(string text) => text.ReplaceLineEndings(" ").Trim();

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: a leftover partial file is named as such.
        }
    }
}
