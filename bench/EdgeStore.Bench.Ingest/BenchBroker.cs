using System.Globalization;
using System.Text;
using EdgeStore.Testing;

namespace EdgeStore.Bench.Ingest;

/// <summary>
/// The bench's own mosquitto: config/mosquitto/edgestore-dev.conf's settings on a free loopback port, with the
/// inflight window under test. Persistence stays on (as on a gateway) but is only written at exit.
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

    public static async Task<BenchBroker> StartAsync(string directory, int maxInflightMessages)
    {
        var port = FreePort.Next();
        var persistence = Path.Combine(directory, "mosquitto");
        Directory.CreateDirectory(persistence);
        var config = new StringBuilder()
            .AppendLine("per_listener_settings false")
            .AppendLine(CultureInfo.InvariantCulture, $"listener {port} 127.0.0.1")
            .AppendLine("allow_anonymous true")
            .AppendLine("persistence true")
            .AppendLine(CultureInfo.InvariantCulture, $"persistence_location {persistence}/")
            .AppendLine("autosave_interval 0")
            .AppendLine(CultureInfo.InvariantCulture, $"max_inflight_messages {maxInflightMessages}")
            .AppendLine("max_queued_messages 1000000")
            .AppendLine("max_queued_bytes 0")
            // stderr: mosquitto writes it unbuffered, so a line is read (and time-stamped by ChildProcess) as it happens.
            .AppendLine("log_dest stderr")
            .AppendLine("log_type error")
            .AppendLine("log_type warning")
            .AppendLine("log_type notice")
            // "CLIENTID QOS FILTER" per SUBSCRIBE: when a subscription is in place, seen from the broker.
            .AppendLine("log_type subscribe")
            .AppendLine("connection_messages true");
        if (Environment.UserName == "root")
        {
            // Otherwise mosquitto drops to its own user, which cannot write this root-owned directory.
            config.AppendLine("user root");
        }

        var configPath = Path.Combine(directory, "mosquitto.conf");
        await File.WriteAllTextAsync(configPath, config.ToString());
        var executable = MosquittoBroker.FindMosquitto()
            ?? throw new InvalidOperationException("mosquitto is not installed (scripts/install-deps.sh installs it)");
        var process = ChildProcess.Start(executable, ["-c", configPath]);
        for (var attempt = 0; attempt < 150 && !FreePort.IsListening(port); attempt++)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"mosquitto exited at start:\n{process.Output}");
            }

            await Task.Delay(100);
        }

        return FreePort.IsListening(port)
            ? new BenchBroker(process, port)
            : throw new TimeoutException($"mosquitto did not listen on {port} within 15 s:\n{process.Output}");
    }

    public string Output => _process.Output;

    /// <summary>Waits for a log line containing <paramref name="text"/> read after <paramref name="after"/> and returns
    /// when it was read (<see cref="System.Diagnostics.Stopwatch.GetTimestamp"/>).</summary>
    public Task<long> WaitForLineAsync(string text, TimeSpan timeout, long after = 0) => _process.WaitForLineAsync(text, timeout, after);

    /// <summary>Counts log lines containing <paramref name="text"/> from now on.</summary>
    public void Watch(string text) => _process.Watch(text);

    public long Count(string text) => _process.Count(text);

    /// <summary>The log line mosquitto writes when it has taken a client's SUBSCRIBE to sensors/# at QoS 1.</summary>
    public static string SubscribedLine(string clientId) => $": {clientId} 1 sensors/#";

    public async ValueTask DisposeAsync()
    {
        await _process.StopAsync(TimeSpan.FromSeconds(10));
        _process.Dispose();
    }
}
