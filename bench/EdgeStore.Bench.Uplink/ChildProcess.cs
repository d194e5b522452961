using System.Diagnostics;
using EdgeStore.Testing;

namespace EdgeStore.Bench.Uplink;

/// <summary>
/// A process the bench started: output kept (bounded) with the moment each line arrived, waited for, signalled by its
/// PID only. (Copied from bench/EdgeStore.Bench.Ingest, plus line times and standard input.)
/// </summary>
internal sealed class ChildProcess : IDisposable
{
    private const int MaxRetainedLines = 5_000;

    private readonly Process _process;
    private readonly Lock _gate = new();
    private readonly Queue<(long Timestamp, string Line)> _lines = new();
    private readonly string _name;

    private ChildProcess(Process process, string name)
    {
        _process = process;
        _name = name;
    }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    public StreamWriter StandardInput => _process.StandardInput;

    public string Output
    {
        get
        {
            lock (_gate)
            {
                return string.Join('\n', _lines.Select(l => l.Line));
            }
        }
    }

    public static ChildProcess Start(string fileName, IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null)
    {
        var info = new ProcessStartInfo(fileName, arguments)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("EDGESTORE__", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            info.Environment.Remove(name);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        var process = new Process { StartInfo = info };
        var child = new ChildProcess(process, Path.GetFileName(fileName) + " " + string.Join(' ', arguments.Take(1)));
        process.OutputDataReceived += (_, e) => child.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => child.OnLine(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>The first retained line containing <paramref name="text"/> and when it arrived (Stopwatch ticks), or null.</summary>
    public (long Timestamp, string Line)? FindLine(string text)
    {
        lock (_gate)
        {
            foreach (var line in _lines)
            {
                if (line.Line.Contains(text, StringComparison.Ordinal))
                {
                    return line;
                }
            }

            return null;
        }
    }

    /// <summary>Waits for a line containing <paramref name="text"/>; returns it with the moment it arrived.</summary>
    public async Task<(long Timestamp, string Line)> WaitForLineAsync(string text, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (FindLine(text) is { } found)
            {
                return found;
            }

            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{_name} exited ({_process.ExitCode}) before printing \"{text}\":\n{Output}");
            }

            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"{_name} did not print \"{text}\" within {timeout.TotalSeconds:0} s:\n{Output}");
            }

            await Task.Delay(10);
        }
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancellation.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"{_name} did not exit within {timeout.TotalSeconds:0} s:\n{Output}");
        }

        return _process.ExitCode;
    }

    /// <summary>SIGTERM, then SIGKILL after <paramref name="grace"/>; returns the exit code.</summary>
    public async Task<int> StopAsync(TimeSpan grace)
    {
        if (!_process.HasExited)
        {
            UnixSignal.Send(_process.Id, UnixSignal.SigTerm);
            try
            {
                return await WaitForExitAsync(grace);
            }
            catch (TimeoutException)
            {
                _process.Kill();
                await _process.WaitForExitAsync();
            }
        }

        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit(5_000);
        }

        _process.Dispose();
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        var now = Stopwatch.GetTimestamp();
        lock (_gate)
        {
            _lines.Enqueue((now, line));
            if (_lines.Count > MaxRetainedLines)
            {
                _lines.Dequeue();
            }
        }
    }
}
