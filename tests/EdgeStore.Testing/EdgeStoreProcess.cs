using System.Diagnostics;
using System.Globalization;
using System.Text;
using Xunit.Abstractions;

namespace EdgeStore.Testing;

/// <summary>
/// The one launcher of the built <c>edgestore</c> executable as a real child process, the way systemd or an operator
/// runs it. Captures stdout and stderr line by line (both are dumped to the test output on dispose, so a failing test
/// shows what the daemon said), waits for log lines, sends signals by its own PID only, reports the exit code, and
/// always kills what it started on dispose. Inherited <c>EDGESTORE__*</c> variables are removed so that only what a
/// test passes configures the daemon. A test that starts one belongs to the non-parallel end-to-end collection.
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
    /// <paramref name="launcher"/>, when given, is a command line that execs its trailing arguments (the executable
    /// and its arguments), for example a shell that first joins a cgroup: the PID stays the daemon's.
    /// </summary>
    public static EdgeStoreProcess Start(
        IReadOnlyList<string> arguments,
        IReadOnlyDictionary<string, string?>? environment = null,
        string? workingDirectory = null,
        ITestOutputHelper? testOutput = null,
        IReadOnlyList<string>? launcher = null)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var executable = ExecutablePath;
        if (!File.Exists(executable))
        {
            throw new FileNotFoundException(
                $"the built edgestore executable is not in {AppContext.BaseDirectory}: the test project must reference src/EdgeStore",
                executable);
        }

        IReadOnlyList<string> command = executable.EndsWith(".dll", StringComparison.Ordinal)
            ? [DotnetHost(), executable, .. arguments]
            : [executable, .. arguments];
        return StartCommand([.. launcher ?? [], .. command], environment, workingDirectory, testOutput, "edgestore " + string.Join(' ', arguments));
    }

    /// <summary>
    /// Starts another program a test runs beside the daemon (a load generator), with the same capture, waits,
    /// signals and kill-on-dispose as the daemon.
    /// </summary>
    public static EdgeStoreProcess StartProgram(
        string program,
        IReadOnlyList<string> arguments,
        IReadOnlyDictionary<string, string?>? environment = null,
        ITestOutputHelper? testOutput = null,
        IReadOnlyList<string>? launcher = null)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        return StartCommand([.. launcher ?? [], program, .. arguments], environment, null, testOutput, program + " " + string.Join(' ', arguments));
    }

    private static EdgeStoreProcess StartCommand(
        IReadOnlyList<string> command,
        IReadOnlyDictionary<string, string?>? environment,
        string? workingDirectory,
        ITestOutputHelper? testOutput,
        string description)
    {
        var info = new ProcessStartInfo(command[0], command.Skip(1));
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

        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var wrapper = new EdgeStoreProcess(process, testOutput, description);
        process.OutputDataReceived += (_, e) => wrapper.OnLine(e.Data, isError: false);
        process.ErrorDataReceived += (_, e) => wrapper.OnLine(e.Data, isError: true);
        if (!process.Start())
        {
            throw new InvalidOperationException($"{description} did not start");
        }

        wrapper.ProcessId = process.Id;
        process.StandardInput.Close(); // as under systemd (stdin is /dev/null): nothing is ever typed in
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
        try
        {
            await process.WaitForExitAsync(timeout);
            return process;
        }
        catch
        {
            await process.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Waits until an output line after <paramref name="afterLine"/> contains <paramref name="text"/> and returns it.
    /// Fails at once, with the output, if the process exits first; fails with the output on timeout.
    /// </summary>
    public Task<string> WaitForOutputAsync(string text, TimeSpan timeout, long afterLine = 0) =>
        WaitForLineAsync(line => line.Contains(text, StringComparison.Ordinal), timeout, $"a line with \"{text}\"", afterLine);

    /// <summary>
    /// Waits until an output line after <paramref name="afterLine"/> matches <paramref name="match"/> and returns it.
    /// Fails at once, with the output, if the process exits first; fails with the output on timeout.
    /// </summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout, string what, long afterLine = 0)
    {
        ArgumentNullException.ThrowIfNull(match);
        try
        {
            return (await Wait.ForAsync<string?>(
                async () =>
                {
                    var found = FindLine(match, afterLine);
                    if (found is null && _process.HasExited)
                    {
                        await _process.WaitForExitAsync(); // the output is drained once this returns
                        found = FindLine(match, afterLine) ?? throw new InvalidOperationException(
                            $"{_description} (pid {ProcessId}) exited with code {_process.ExitCode} before printing {what}.\n{Dump()}");
                    }

                    return found;
                },
                found => found is not null,
                timeout,
                $"{_description} (pid {ProcessId}) printing {what}"))!;
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}\n{Dump()}", e);
        }
    }

    /// <summary>True when some retained output line after <paramref name="afterLine"/> contains <paramref name="text"/>.</summary>
    public bool HasOutput(string text, long afterLine = 0) => FindLine(line => line.Contains(text, StringComparison.Ordinal), afterLine) is not null;

    /// <summary>Retained lines after <paramref name="afterLine"/> (absolute, as <see cref="LineCount"/> counts).</summary>
    public IReadOnlyList<string> LinesAfter(long afterLine)
    {
        lock (_gate)
        {
            var start = (int)Math.Clamp(afterLine - _firstRetainedLine, 0, _lines.Count);
            return _lines.GetRange(start, _lines.Count - start);
        }
    }

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

    /// <summary>Sends a POSIX signal to this process (and only this one, by its own PID) unless it has exited.</summary>
    public void Signal(int signal)
    {
        if (_process.HasExited)
        {
            return;
        }

        try
        {
            UnixSignal.Send(ProcessId, signal);
        }
        catch (System.ComponentModel.Win32Exception) when (_process.HasExited)
        {
            // It exited between the check and the signal.
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

    private string? FindLine(Func<string, bool> match, long afterLine)
    {
        lock (_gate)
        {
            var start = (int)Math.Max(0, afterLine - _firstRetainedLine);
            for (var i = start; i < _lines.Count; i++)
            {
                if (match(_lines[i]))
                {
                    return _lines[i];
                }
            }

            return null;
        }
    }
}
