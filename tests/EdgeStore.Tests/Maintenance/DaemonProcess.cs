using System.Collections.Concurrent;
using System.Diagnostics;
using EdgeStore.Testing;

namespace EdgeStore.Tests.Maintenance;

/// <summary>The built `edgestore` run as a real process (`dotnet edgestore.dll ...`), its output lines collected.</summary>
internal sealed class DaemonProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _lines = new();

    private DaemonProcess(Process process) => _process = process;

    public int Pid => _process.Id;

    public string Output => string.Join('\n', _lines);

    public static DaemonProcess Start(IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "edgestore.dll"));
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        var process = new Process { StartInfo = start };
        var daemon = new DaemonProcess(process);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { daemon._lines.Enqueue(e.Data); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { daemon._lines.Enqueue(e.Data); } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return daemon;
    }

    /// <summary>Runs a short command to completion; returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(IReadOnlyDictionary<string, string> environment, TimeSpan timeout, params string[] arguments)
    {
        using var command = Start(environment, arguments);
        var exit = await command.WaitForExitAsync(timeout);
        return (exit, command.Output);
    }

    public async Task WaitForLineAsync(string fragment, TimeSpan timeout)
    {
        var watch = Stopwatch.StartNew();
        while (!_lines.Any(line => line.Contains(fragment, StringComparison.Ordinal)))
        {
            if (watch.Elapsed > timeout || _process.HasExited)
            {
                throw new TimeoutException($"no line with \"{fragment}\" within {timeout} (exited: {_process.HasExited}); output:\n{Output}");
            }

            await Task.Delay(50);
        }
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            _process.Kill();
            throw new TimeoutException($"edgestore did not exit within {timeout}; output:\n{Output}");
        }

        _process.WaitForExit(); // drains the output readers
        return _process.ExitCode;
    }

    public void Signal(int signal) => UnixSignal.Send(_process.Id, signal);

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit(10_000);
        }

        _process.Dispose();
    }
}
