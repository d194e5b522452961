using System.Diagnostics;

namespace EdgeStore.Tests.Memory;

/// <summary>A child process whose stdout and stderr lines are collected for assertions.</summary>
internal sealed class DaemonProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = [];

    private DaemonProcess(Process process) => _process = process;

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    public static DaemonProcess StartShell(string shellCommand, IDictionary<string, string> environment)
    {
        var info = new ProcessStartInfo("/bin/sh")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(shellCommand);
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        var process = new Process { StartInfo = info };
        var daemon = new DaemonProcess(process);
        process.OutputDataReceived += (_, e) => daemon.Add(e.Data);
        process.ErrorDataReceived += (_, e) => daemon.Add(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return daemon;
    }

    /// <summary>Waits for a line matching <paramref name="match"/> among the lines after the first <paramref name="skipLines"/>.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout, string what, int skipLines = 0)
    {
        var stopwatch = Stopwatch.StartNew();
        while (stopwatch.Elapsed < timeout)
        {
            var found = Lines.Skip(skipLines).FirstOrDefault(match);
            if (found is not null)
            {
                return found;
            }

            Assert.False(_process.HasExited, $"process exited with {(_process.HasExited ? _process.ExitCode : 0)} while waiting for {what}; output:\n{string.Join('\n', Lines.TakeLast(40))}");
            await Task.Delay(100);
        }

        Assert.Fail($"no {what} within {timeout.TotalSeconds} s; output:\n{string.Join('\n', Lines.TakeLast(40))}");
        return string.Empty;
    }

    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }

        _process.Dispose();
    }

    private void Add(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_lines)
        {
            _lines.Add(line);
        }
    }
}
