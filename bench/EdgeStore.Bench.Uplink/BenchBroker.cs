using System.Globalization;
using System.Text;
using EdgeStore.Testing;

namespace EdgeStore.Bench.Uplink;

/// <summary>
/// A private mosquitto on a free 127.0.0.1 port: the gateway's broker (sensors publish, the daemon subscribes) or the
/// upstream one (the uplink publishes, the counting subscriber reads). Queues are large enough that nothing of a run
/// is dropped; `max_inflight_messages` is left out (mosquitto's default) unless a value is given.
/// </summary>
internal sealed class BenchBroker : IAsyncDisposable
{
    private readonly ChildProcess _process;

    private BenchBroker(ChildProcess process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public int ProcessId => _process.ProcessId;

    public string Output => _process.Output;

    /// <param name="directory">Where its config file goes.</param>
    /// <param name="name">Names the config file (`gateway`, `upstream`).</param>
    /// <param name="maxInflightMessages">mosquitto's max_inflight_messages; null leaves the line out (its default).</param>
    public static async Task<BenchBroker> StartAsync(string directory, string name, int? maxInflightMessages)
    {
        var port = FreePort.Next();
        var config = new StringBuilder()
            .AppendLine("per_listener_settings false")
            .AppendLine(CultureInfo.InvariantCulture, $"listener {port} 127.0.0.1")
            .AppendLine("allow_anonymous true")
            .AppendLine("persistence false")
            .AppendLine("max_queued_messages 2000000")
            .AppendLine("max_queued_bytes 0")
            .AppendLine("log_dest stdout")
            .AppendLine("log_type error")
            .AppendLine("log_type warning")
            .AppendLine("log_type notice")
            .AppendLine("connection_messages true");
        if (maxInflightMessages is { } inflight)
        {
            config.AppendLine(CultureInfo.InvariantCulture, $"max_inflight_messages {inflight}");
        }

        if (Environment.UserName == "root")
        {
            // Otherwise mosquitto drops to its own user.
            config.AppendLine("user root");
        }

        var configPath = Path.Combine(directory, $"mosquitto-{name}.conf");
        await File.WriteAllTextAsync(configPath, config.ToString());
        var executable = MosquittoBroker.FindMosquitto()
            ?? throw new InvalidOperationException("mosquitto is not installed (scripts/install-deps.sh installs it)");
        var process = ChildProcess.Start(executable, ["-c", configPath]);
        for (var attempt = 0; attempt < 150 && !FreePort.IsListening(port); attempt++)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"mosquitto ({name}) exited at start:\n{process.Output}");
            }

            await Task.Delay(100);
        }

        return FreePort.IsListening(port)
            ? new BenchBroker(process, port)
            : throw new TimeoutException($"mosquitto ({name}) did not listen on {port} within 15 s:\n{process.Output}");
    }

    public async ValueTask DisposeAsync()
    {
        await _process.StopAsync(TimeSpan.FromSeconds(10));
        _process.Dispose();
    }
}
