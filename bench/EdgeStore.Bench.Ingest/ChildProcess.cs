using System.Diagnostics;
using EdgeStore.Testing;

namespace EdgeStore.Bench.Ingest;

/// <summary>
/// A process the bench started: output kept (bounded), each line stamped with <see cref="Stopwatch.GetTimestamp"/> when
/// the bench read it, waited for, signalled by its PID only. Lines containing a <see cref="Watch"/>ed text are counted
/// even after the retained output has dropped them.
/// </summary>
internal sealed class ChildProcess : IDisposable
{
    private const int MaxRetainedLines = 5_000;

    private readonly Process _process;
    private readonly Lock _gate = new();
    private readonly Queue<(long Timestamp, string Line)> _lines = new();
    private readonly Dictionary<string, long> _watched = new(StringComparer.Ordinal);
    private readonly string _name;

    private ChildProcess(Process process, string name)
    {
        _process = process;
        _name = name;
    }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary><see cref="Stopwatch.GetTimestamp"/> taken just before the process was started (before fork/exec).</summary>
    public long StartTimestamp { get; private set; }

    /// <summary>The wall clock (Unix ms) taken at the same moment as <see cref="StartTimestamp"/>.</summary>
    public long StartUnixMs { get; private set; }

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
        child.StartUnixMs = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        child.StartTimestamp = Stopwatch.GetTimestamp();
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    public bool HasLine(string text) => LineTimestamp(text, 0) is not null;

    /// <summary>When the first line containing <paramref name="text"/> read after <paramref name="after"/> was read.</summary>
    public long? LineTimestamp(string text, long after)
    {
        lock (_gate)
        {
            foreach (var (timestamp, line) in _lines)
            {
                if (timestamp > after && line.Contains(text, StringComparison.Ordinal))
                {
                    return timestamp;
                }
            }

            return null;
        }
    }

    /// <summary>Counts, from now on, the lines that contain <paramref name="text"/> (see <see cref="Count"/>).</summary>
    public void Watch(string text)
    {
        lock (_gate)
        {
            _watched.TryAdd(text, 0);
        }
    }

    /// <summary>Lines read so far that contain a <see cref="Watch"/>ed text.</summary>
    public long Count(string text)
    {
        lock (_gate)
        {
            return _watched.GetValueOrDefault(text);
        }
    }

    /// <summary>Waits for a line containing <paramref name="text"/> read after <paramref name="after"/> (a
    /// <see cref="Stopwatch.GetTimestamp"/> value) and returns when it was read.</summary>
    public async Task<long> WaitForLineAsync(string text, TimeSpan timeout, long after = 0)
    {
        var clock = Stopwatch.StartNew();
        long? seen;
        while ((seen = LineTimestamp(text, after)) is null)
        {
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

        return seen.Value;
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

        var timestamp = Stopwatch.GetTimestamp();
        lock (_gate)
        {
            foreach (var text in _watched.Keys.ToArray())
            {
                if (line.Contains(text, StringComparison.Ordinal))
                {
                    _watched[text]++;
                }
            }

            _lines.Enqueue((timestamp, line));
            if (_lines.Count > MaxRetainedLines)
            {
                _lines.Dequeue();
            }
        }
    }
}
