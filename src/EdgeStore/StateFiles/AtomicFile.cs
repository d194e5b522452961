using System.Runtime.InteropServices;

namespace EdgeStore.StateFiles;

/// <summary>
/// The one way EdgeStore replaces a small file of its own (status, tuning state, run marker, unclean-exit log): the
/// content goes to a hidden temporary file in the same directory, which is renamed over the target, so a reader sees
/// the previous or the next complete file, never a torn one. With <c>syncToDisk</c> the content is fsynced before the
/// rename and the directory after it, so a power cut leaves the old or the new file; without it the content is only
/// flushed to the kernel (for files that describe a live process and would be stale after a power cut anyway, where an
/// fsync every few seconds would only wear an SD card). Never used for SQLite's files: C3 keeps renames away from them.
/// </summary>
internal static class AtomicFile
{
    /// <summary>Replaces <paramref name="path"/> with what <paramref name="write"/> writes; the temporary file is removed on failure.</summary>
    public static void Write(string path, Action<Stream> write, bool syncToDisk)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(write);
        var directory = Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".";

        // Per process: the daemon and a command run beside it (`edgestore safe-mode clear`) never share one.
        var temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.{Environment.ProcessId}.tmp");
        try
        {
            Directory.CreateDirectory(directory);
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
            {
                write(stream);
                stream.Flush(flushToDisk: syncToDisk);
            }

            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }

        if (syncToDisk)
        {
            SyncDirectory(directory);
        }
    }

    /// <summary>Replaces <paramref name="path"/> with <paramref name="bytes"/>.</summary>
    public static void WriteAllBytes(string path, byte[] bytes, bool syncToDisk) =>
        Write(path, stream => stream.Write(bytes), syncToDisk);

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Best effort: the next write replaces it.
        }
    }

    // The rename is durable only once the directory entry is: fsync the directory (Linux; best effort elsewhere).
    private static void SyncDirectory(string directory)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        var fd = Open(directory, 0 /* O_RDONLY */);
        if (fd >= 0)
        {
            _ = Fsync(fd);
            _ = Close(fd);
        }
    }

    // DllImport rather than LibraryImport: the project does not allow unsafe code, and these signatures need no marshalling stubs.
#pragma warning disable SYSLIB1054
    [DllImport("libc", EntryPoint = "open")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "fsync")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Fsync(int fd);

    [DllImport("libc", EntryPoint = "close")]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Close(int fd);
#pragma warning restore SYSLIB1054
}
