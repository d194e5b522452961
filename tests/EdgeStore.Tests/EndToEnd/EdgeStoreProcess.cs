using System.Diagnostics;
using System.Globalization;
using System.Text;
using EdgeStore.Testing;
using Xunit.Abstractions;

namespace EdgeStore.Tests.EndToEnd;

/// <summary>
/// The built <c>edgestore</c> executable run as a real child process, the way systemd or an operator runs it.
/// Captures stdout and stderr line by line (both are dumped to the test output on dispose, so a failing test
/// shows what the daemon said), waits for log lines, sends signals by PID, and reports the exit code.
/// Inherited <c>EDGESTORE__*</c> variables are removed so that only what a test passes configures the daemon.
/// </summary>
public sealed class EdgeStoreProcess : IAsyncDisposable
{
    // Keeps the tail of a chatty process bounded; line numbers stay absolute so marks survive trimming.
    private const int MaxRetainedLines = 20_000;

    private readonly Process _process;
    private readonly ITestOutputHelper? _testOutput;
    private readonly string _description;
    private readonly Lock _gate = new();
    private readonly List<string> _lines = [];
    private readonly StringBuilder _standardError = new();
    private long _firstRetainedLine;
    private bool _disposed;

    private EdgeStoreProcess(Process process, ITestOutputHelper? testOutput, string description)
    {
        _process = process;
        _testOutput = testOutput;
        _description = description;
    }

    /// <summary>The <c>edgestore</c> apphost (or <c>edgestore.dll</c>) next to the test assembly.</summary>
    public static string ExecutablePath
    {
        get
        {
            var apphost = Path.Combine(AppContext.BaseDirectory, "edgestore");
            return File.Exists(apphost) ? apphost : Path.Combine(AppContext.BaseDirectory, "edgestore.dll");
        }
    }

    public int ProcessId { get; private set; }

    /// <summary>
    /// Whether disposal writes the captured output to the test output. A test that reached its end
    /// clears it so that only failing tests carry the daemon's log.
    /// </summary>
    public bool WriteOutputOnDispose { get; set; } = true;

    public bool HasExited => _process.HasExited;

    /// <summary>The exit code once the process has exited (128 + n when a signal n killed it), else null.</summary>
    public int? ExitCode => _process.HasExited ? _process.ExitCode : null;

    /// <summary>Absolute number of output lines seen so far: pass it as <c>afterLine</c> to wait for a later line.</summary>
    public long LineCount
    {
        get
        {
            lock (_gate)
            {
                return _firstRetainedLine + _lines.Count;
            }
        }
    }

    /// <summary>Retained stdout and stderr lines, interleaved in arrival order (stderr lines prefixed "err: ").</summary>
    public string Output
    {
        get
        {
            lock (_gate)
            {
                return string.Join('\n', _lines);
            }
        }
    }

    public string StandardError
    {
        get
        {
            lock (_gate)
            {
                return _standardError.ToString();
            }
        }
    }

    /// <summary>
    /// Starts <c>edgestore</c> with <paramref name="arguments"/> (for example <c>["run"]</c>) and the given environment
    /// on top of this process's (minus inherited <c>EDGESTORE__*</c>). A null value removes a variable.
    /// </summary>
    public static EdgeStoreProcess Start(
        IReadOnlyList<string> arguments,
        IReadOnlyDictionary<string, string?>? environment = null,
        string? workingDirectory = null,
        ITestOutputHelper? testOutput = null)
    {
        var executable = ExecutablePath;
        if (!File.Exists(executable))
        {
            throw new FileNotFoundException(
                $"the built edgestore executable is not in {AppContext.BaseDirectory}: the test project must reference src/EdgeStore",
                executable);
        }

        var info = executable.EndsWith(".dll", StringComparison.Ordinal)
            ? new ProcessStartInfo(DotnetHost(), [executable, .. arguments])
            : new ProcessStartInfo(executable, arguments);
        info.UseShellExecute = false;
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.RedirectStandardInput = true;
        info.StandardOutputEncoding = Encoding.UTF8;
        info.StandardErrorEncoding = Encoding.UTF8;
        info.WorkingDirectory = workingDirectory ?? Directory.CreateTempSubdirectory("edgestore-cwd-").FullName;
        foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("EDGESTORE__", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            info.Environment.Remove(name);
        }

        info.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                info.Environment.Remove(name);
            }
            else
            {
                info.Environment[name] = value;
            }
        }

        var description = "edgestore " + string.Join(' ', arguments);
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var wrapper = new EdgeStoreProcess(process, testOutput, description);
        process.OutputDataReceived += (_, e) => wrapper.OnLine(e.Data, isError: false);
        process.ErrorDataReceived += (_, e) => wrapper.OnLine(e.Data, isError: true);
        if (!process.Start())
        {
            throw new InvalidOperationException($"{description} did not start");
        }

        wrapper.ProcessId = process.Id;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return wrapper;
    }

    /// <summary>Runs <c>edgestore</c> to completion (query, simulate, a bad config) and returns it exited.</summary>
    public static async Task<EdgeStoreProcess> RunAsync(
        IReadOnlyList<string> arguments,
        TimeSpan timeout,
        IReadOnlyDictionary<string, string?>? environment = null,
        string? workingDirectory = null,
        ITestOutputHelper? testOutput = null)
    {
        var process = Start(arguments, environment, workingDirectory, testOutput);
        await process.WaitForExitAsync(timeout);
        return process;
    }

    /// <summary>
    /// Waits until an output line after <paramref name="afterLine"/> contains <paramref name="text"/> and returns it.
    /// Fails at once, with the output, if the process exits first; fails with the output on timeout.
    /// </summary>
    public async Task<string> WaitForOutputAsync(string text, TimeSpan timeout, long afterLine = 0)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var found = FindLine(text, afterLine);
            if (found is not null)
            {
                return found;
            }

            if (_process.HasExited)
            {
                await _process.WaitForExitAsync();
                found = FindLine(text, afterLine);
                if (found is not null)
                {
                    return found;
                }

                throw new InvalidOperationException(
                    $"{_description} (pid {ProcessId}) exited with code {_process.ExitCode} before printing \"{text}\".\n{Dump()}");
            }

            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException(
                    $"{_description} (pid {ProcessId}) did not print \"{text}\" within {timeout.TotalSeconds:0} s.\n{Dump()}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>True when some retained output line after <paramref name="afterLine"/> contains <paramref name="text"/>.</summary>
    public bool HasOutput(string text, long afterLine = 0) => FindLine(text, afterLine) is not null;

    /// <summary>Waits for the process to exit (output drained) and returns its exit code; fails with the output on timeout.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancellation.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{_description} (pid {ProcessId}) did not exit within {timeout.TotalSeconds:0} s.\n{Dump()}");
        }

        return _process.ExitCode;
    }

    /// <summary>Sends a POSIX signal to this process (and only this one, by PID).</summary>
    public void Signal(int signal)
    {
        if (!_process.HasExited)
        {
            UnixSignal.Send(ProcessId, signal);
        }
    }

    /// <summary>SIGTERM: what systemd sends on stop.</summary>
    public void Terminate() => Signal(UnixSignal.SigTerm);

    /// <summary>SIGKILL: a crash or power-cut stand-in; no handler runs.</summary>
    public void Kill() => Signal(UnixSignal.SigKill);

    /// <summary>The output with a header, for failure messages.</summary>
    public string Dump()
    {
        var exit = _process.HasExited ? _process.ExitCode.ToString(CultureInfo.InvariantCulture) : "running";
        return $"----- {_description} (pid {ProcessId}, exit {exit}) output -----\n{Output}\n----- end of output -----";
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (!_process.HasExited)
        {
            Kill();
            using var cancellation = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _process.WaitForExitAsync(cancellation.Token);
            }
            catch (OperationCanceledException)
            {
                // Reported in the dump below; nothing else to do for a process that ignores SIGKILL.
            }
        }

        if (_testOutput is not null && WriteOutputOnDispose)
        {
            try
            {
                _testOutput.WriteLine(Dump());
            }
            catch (InvalidOperationException)
            {
                // The test already finished; its output sink is closed.
            }
        }

        _process.Dispose();
    }

    private static string DotnetHost()
    {
        var current = Environment.ProcessPath;
        return current is not null && Path.GetFileNameWithoutExtension(current) == "dotnet" ? current : "dotnet";
    }

    private void OnLine(string? line, bool isError)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            _lines.Add(isError ? "err: " + line : line);
            if (isError && _standardError.Length < 1_000_000)
            {
                _standardError.AppendLine(line);
            }

            if (_lines.Count > MaxRetainedLines)
            {
                var drop = MaxRetainedLines / 4;
                _lines.RemoveRange(0, drop);
                _firstRetainedLine += drop;
            }
        }
    }

    private string? FindLine(string text, long afterLine)
    {
        lock (_gate)
        {
            var start = (int)Math.Max(0, afterLine - _firstRetainedLine);
            for (var i = start; i < _lines.Count; i++)
            {
                if (_lines[i].Contains(text, StringComparison.Ordinal))
                {
                    return _lines[i];
                }
            }

            return null;
        }
    }
}
