using System.Runtime.InteropServices;

namespace EdgeStore.Status;

/// <summary>
/// Whether the process a status file names is still an EdgeStore: <c>kill(pid, 0)</c> answers for any user (EPERM
/// still means the process exists, and it works where /proc hides other users' processes), and, where
/// /proc/PID/cmdline is readable, a PID the kernel has handed to another program since is told apart by its command line.
/// </summary>
internal static class ProcessLiveness
{
    private const int NoSuchProcess = 3; // ESRCH

    public static bool IsEdgeStore(int pid)
    {
        if (pid <= 0)
        {
            return false;
        }

        if (Kill(pid, 0) != 0 && Marshal.GetLastPInvokeError() == NoSuchProcess)
        {
            return false;
        }

        try
        {
            var commandLine = File.ReadAllText($"/proc/{pid}/cmdline");
            return commandLine.Contains("edgestore", StringComparison.OrdinalIgnoreCase);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return true; // alive, and hidden from this user: trust kill(2)
        }
    }

    // DllImport rather than LibraryImport: the project does not allow unsafe code, and this signature is blittable.
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
    private static extern int Kill(int pid, int signal);
}
