using System.ComponentModel;
using System.Runtime.InteropServices;

namespace EdgeStore.Testing;

/// <summary>Sends POSIX signals to processes a test started (by PID, never by name).</summary>
public static partial class UnixSignal
{
    public const int SigHup = 1;

    public const int SigKill = 9;
    public const int SigTerm = 15;
    public const int SigInt = 2;
    public const int SigStop = 19;
    public const int SigCont = 18;

    public static void Send(int pid, int signal)
    {
        if (Kill(pid, signal) != 0)
        {
            throw new Win32Exception(Marshal.GetLastPInvokeError(), $"kill({pid}, {signal}) failed");
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int sig);
}
