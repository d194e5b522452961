using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace EdgeStore.Storage;

/// <summary>
/// One daemon per database: an exclusive <c>flock</c> on <c>&lt;database&gt;.lock</c>, taken before anything else
/// touches the database and held for the life of the process. The kernel drops it when the process dies (kill -9
/// included), so a stale lock file never blocks a restart. The file holds the holder's PID so a second instance can
/// say who has the database. It is never one of SQLite's files (those are -wal, -shm and -journal).
/// </summary>
public sealed class DatabaseLock : IDisposable
{
    private const int LockExclusive = 2;
    private const int LockNonBlocking = 4;
    private const int WouldBlock = 11; // EWOULDBLOCK (= EAGAIN) on Linux
    private const int PermissionDenied = 13; // EACCES
    private const int OpenReadWrite = 0x2;
    private const int OpenCreate = 0x40;
    private const int OpenCloseOnExec = 0x80000;
    private const int FileMode644 = 0x1A4;

    private readonly SafeFileHandle _handle;

    private DatabaseLock(SafeFileHandle handle, string path)
    {
        _handle = handle;
        Path = path;
    }

    public string Path { get; }

    public static string PathFor(string databasePath) => System.IO.Path.GetFullPath(databasePath) + ".lock";

    /// <summary>
    /// Takes the lock, creating the directory and the lock file when missing. Null when another process holds it;
    /// <paramref name="holderPid"/> is then its PID as written in the file (null when unreadable).
    /// Throws <see cref="IOException"/> or <see cref="UnauthorizedAccessException"/> when the file cannot be opened.
    /// </summary>
    public static DatabaseLock? TryAcquire(string databasePath, out int? holderPid)
    {
        var path = PathFor(databasePath);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        // open(2) rather than File.OpenHandle: .NET emulates FileShare with flock on Unix, which would turn the second
        // instance's open itself into a lock failure without the holder's PID.
        var fd = Open(path, OpenReadWrite | OpenCreate | OpenCloseOnExec, FileMode644);
        if (fd < 0)
        {
            var error = Marshal.GetLastPInvokeError();
            throw error == PermissionDenied
                ? new UnauthorizedAccessException($"permission denied opening {path}")
                : new IOException($"cannot open {path} (errno {error})");
        }

        var handle = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            if (Flock(handle.DangerousGetHandle().ToInt32(), LockExclusive | LockNonBlocking) != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                if (errno != WouldBlock)
                {
                    throw new IOException($"cannot lock {path}: flock failed with errno {errno}");
                }

                holderPid = ReadPid(handle);
                handle.Dispose();
                return null;
            }

            holderPid = null;
            WritePid(handle);
            return new DatabaseLock(handle, path);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Closing the descriptor releases the lock; the file stays (removing it would race a starting instance).</summary>
    public void Dispose() => _handle.Dispose();

    private static void WritePid(SafeFileHandle handle)
    {
        var text = Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{Environment.ProcessId}\n"));
        RandomAccess.SetLength(handle, 0);
        RandomAccess.Write(handle, text, 0);
    }

    private static int? ReadPid(SafeFileHandle handle)
    {
        Span<byte> buffer = stackalloc byte[32];
        var read = RandomAccess.Read(handle, buffer, 0);
        return int.TryParse(Encoding.ASCII.GetString(buffer[..read]).Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : null;
    }

    // DllImport rather than LibraryImport: the project does not allow unsafe code, and this signature is blittable.
    [DllImport("libc", EntryPoint = "flock", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Flock(int fd, int operation);

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, int mode);
}
