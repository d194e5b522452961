using System.Diagnostics;
using System.Globalization;
using System.Threading.Channels;
using EdgeStore.Mqtt;

namespace EdgeStore.Bench.MqttClients;

/// <summary>
/// This program started again as a <see cref="SubscriberRole"/> child hosting one client. Reads its lines, sends it
/// commands, and on dispose kills it by its own PID if it is still running.
/// </summary>
internal sealed class SubscriberProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();

    private SubscriberProcess(Process process, string client)
    {
        _process = process;
        Client = client;
    }

    public string Client { get; }

    public int ProcessId => _process.Id;

    public static SubscriberProcess Start(string client, int port, MqttQualityOfService qos, long warmup, long count, bool hold, TimeSpan timeLimit)
    {
        var self = Environment.ProcessPath ?? throw new InvalidOperationException("no process path");
        var info = new ProcessStartInfo(self)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        if (Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            info.ArgumentList.Add(typeof(SubscriberProcess).Assembly.Location);
        }

        foreach (var argument in new[]
        {
            "subscriber", "--client", client, "--port", port.ToString(CultureInfo.InvariantCulture),
            "--qos", ((int)qos).ToString(CultureInfo.InvariantCulture), "--warmup", warmup.ToString(CultureInfo.InvariantCulture),
            "--count", count.ToString(CultureInfo.InvariantCulture), "--hold", hold ? "true" : "false",
            "--time-limit-seconds", ((int)timeLimit.TotalSeconds).ToString(CultureInfo.InvariantCulture),
        })
        {
            info.ArgumentList.Add(argument);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("the subscriber process did not start");
        var started = new SubscriberProcess(process, client);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                started._lines.Writer.TryWrite(e.Data);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                Console.Error.WriteLine($"  [{client} pid {process.Id}] {e.Data}");
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return started;
    }

    /// <summary>Waits for the child's next line that starts with <paramref name="prefix"/> and returns its
    /// <c>key=value</c> fields.</summary>
    public async Task<Dictionary<string, double>> WaitForAsync(string prefix, TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            while (true)
            {
                var line = await _lines.Reader.ReadAsync(cancellation.Token);
                if (line.StartsWith(prefix, StringComparison.Ordinal))
                {
                    return line.Split(' ', StringSplitOptions.RemoveEmptyEntries)
                        .Skip(1)
                        .Select(field => field.Split('=', 2))
                        .ToDictionary(pair => pair[0], pair => double.Parse(pair[1], CultureInfo.InvariantCulture));
                }
            }
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"the {Client} subscriber (pid {_process.Id}) sent no {prefix} line within {timeout.TotalSeconds:0} s");
        }
    }

    public async Task SendAsync(string command)
    {
        await _process.StandardInput.WriteLineAsync(command);
        await _process.StandardInput.FlushAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
        }

        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await _process.WaitForExitAsync(wait.Token);
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine($"  the {Client} subscriber (pid {_process.Id}) did not exit within 10 s of SIGKILL");
        }

        _process.Dispose();
    }
}
