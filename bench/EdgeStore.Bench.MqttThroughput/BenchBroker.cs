using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace EdgeStore.Bench.MqttThroughput;

/// <summary>A private mosquitto on a free 127.0.0.1 port, configured like the test fixture, with a chosen
/// broker-side inflight window (max_inflight_messages; 0 = unlimited).</summary>
internal sealed class BenchBroker : IDisposable
{
    private readonly Process _process;
    private readonly string _directory;

    private BenchBroker(Process process, string directory, int port)
    {
        _process = process;
        _directory = directory;
        Port = port;
    }

    public int Port { get; }

    public static BenchBroker Start(int maxInflightMessages)
    {
        var directory = Directory.CreateTempSubdirectory("edgestore-bench-mosquitto-").FullName;
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        var config = Path.Combine(directory, "mosquitto.conf");
        File.WriteAllLines(config,
        [
            $"listener {port} 127.0.0.1",
            "allow_anonymous true",
            "user " + Environment.UserName,
            "persistence false",
            $"max_inflight_messages {maxInflightMessages}",
            "max_queued_messages 10000000",
            "max_queued_bytes 0",
            "log_dest file " + Path.Combine(directory, "mosquitto.log"),
            "log_type error",
            "log_type warning",
        ]);
        var executable = new[] { "/usr/sbin/mosquitto", "/usr/bin/mosquitto", "/usr/local/sbin/mosquitto" }.FirstOrDefault(File.Exists)
            ?? throw new InvalidOperationException("mosquitto is not installed (apt-get install mosquitto)");
        var process = Process.Start(new ProcessStartInfo(executable, ["-c", config])
        {
            UseShellExecute = false,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        }) ?? throw new InvalidOperationException("mosquitto did not start");
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(15))
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"mosquitto exited with code {process.ExitCode}");
            }

            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, port);
                return new BenchBroker(process, directory, port);
            }
            catch (SocketException)
            {
                Thread.Sleep(50);
            }
        }

        process.Kill();
        throw new TimeoutException("mosquitto did not listen within 15 s");
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit(5_000);
        }

        _process.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
