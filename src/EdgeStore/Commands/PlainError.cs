using EdgeStore.Storage;
using Microsoft.Data.Sqlite;

namespace EdgeStore.Commands;

/// <summary>
/// An operator's problem with a file (missing directory, permission, full or read-only disk, not a database) in one line
/// that names the path and what to do, instead of a .NET message or a stack trace. Null when the exception is not one of
/// these, i.e. a defect, whose stack belongs in the log.
/// </summary>
internal static class PlainError
{
    private const int ErrnoNoSpace = 28;
    private const int ErrnoReadOnlyFileSystem = 30;

    public static string? For(Exception exception, string path)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var directory = Path.GetDirectoryName(Path.GetFullPath(path)) ?? "/";
        return exception switch
        {
            UnauthorizedAccessException => $"permission denied for {path} (running as {Environment.UserName}); give that user access to it and to {directory}, or run as the user that owns it",
            IOException when FileInTheWay(directory) is { } file => $"{file} is a file, not a directory, so {path} cannot be created there; choose another path",
            DirectoryNotFoundException => MissingDirectory(path, directory),
            FileNotFoundException when !Directory.Exists(directory) => MissingDirectory(path, directory),
            FileNotFoundException => $"{path} does not exist",
            IOException io when (io.HResult & 0xFFFF) == ErrnoNoSpace => $"no space left on the device holding {path}; free some space (retention, old backups) and try again",
            IOException io when (io.HResult & 0xFFFF) == ErrnoReadOnlyFileSystem => $"{directory} is on a read-only file system; choose a writable path",
            UnsupportedSchemaVersionException e => e.Message,
            SqliteException sqlite => ForSqlite(sqlite, path, directory),
            AggregateException { InnerExceptions.Count: 1 } aggregate => For(aggregate.InnerExceptions[0], path),
            _ when exception.InnerException is { } inner => For(inner, path),
            _ => null,
        };
    }

    private static string MissingDirectory(string path, string directory) =>
        $"the directory {NearestMissing(directory)} does not exist, so {path} cannot be created; create it (mkdir -p {directory}) or choose another Storage:Path";

    private static string? ForSqlite(SqliteException exception, string path, string directory) => exception.SqliteErrorCode switch
    {
        // SQLITE_CANTOPEN: the file or its directory cannot be opened; say which.
        14 when !Directory.Exists(directory) => MissingDirectory(path, directory),
        14 when Directory.Exists(path) => $"{path} is a directory, not a database file; point Storage:Path (or --db) at a file inside it",
        14 => $"cannot open {path} (running as {Environment.UserName}): check that this user may read and write it, its -wal and -shm files and {directory}",
        8 => $"{path} is read-only for {Environment.UserName} (file permissions or a read-only file system); give that user write access",
        13 => $"the disk holding {path} is full; free some space (retention, old backups) and try again",
        26 => $"{path} is not a SQLite database; point Storage:Path (or --db) at EdgeStore's database, or move that file away",
        11 => $"{path} is damaged (SQLite reports corruption); restore it from a backup (edgestore backup), or move it away to start a new one",
        10 => $"I/O error on {path}: the storage device may be failing; check dmesg and consider replacing the SD card",
        5 or 6 => $"{path} is locked by another process; stop it (or wait) and try again",
        _ => null,
    };

    // The nearest existing ancestor of a missing directory, when it is a file (ENOTDIR).
    private static string? FileInTheWay(string directory)
    {
        for (string? current = directory; current is not null; current = Path.GetDirectoryName(current))
        {
            if (File.Exists(current))
            {
                return current;
            }

            if (Directory.Exists(current))
            {
                return null;
            }
        }

        return null;
    }

    private static string NearestMissing(string directory)
    {
        var missing = directory;
        for (var parent = Path.GetDirectoryName(directory); parent is not null && !Directory.Exists(parent); parent = Path.GetDirectoryName(parent))
        {
            missing = parent;
        }

        return missing;
    }
}
