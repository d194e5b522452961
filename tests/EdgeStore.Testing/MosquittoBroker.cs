using System.Diagnostics;
using System.Text;

namespace EdgeStore.Testing;

/// <summary>
/// A real mosquitto started by the test on a free 127.0.0.1 port with its own config file and
/// persistence directory. Stop/Start keep the port and the persistence file, so a test can restart
/// the broker mid-stream. Only the process this fixture started is ever signalled.
/// </summary>
public sealed class MosquittoBroker : IDisposable
{
    private readonly string _extraConfig;
    private readonly bool _stock;
    private Process? _process;

    private MosquittoBroker(string directory, int port, string extraConfig, bool stock = false)
    {
        _stock = stock;
        Directory = directory;
        Port = port;
        _extraConfig = extraConfig;
        ConfigPath = Path.Combine(directory, "mosquitto.conf");
        LogPath = Path.Combine(directory, "mosquitto.log");
    }

    public int Port { get; }

    public string Directory { get; }

    public string ConfigPath { get; }

    public string LogPath { get; }

    public int? ProcessId => _process is { HasExited: false } p ? p.Id : null;

    /// <summary>
    /// Starts mosquitto. <paramref name="extraConfig"/> is appended to the generated config (TLS listeners, ACLs).
    /// When <paramref name="listenerConfig"/> is given it replaces the default plain listener block.
    /// </summary>
    public static MosquittoBroker Start(string extraConfig = "", string? listenerConfig = null, int? port = null)
    {
        var executable = FindMosquitto()
            ?? throw new InvalidOperationException(
                "mosquitto is not installed: the tests need the real broker. Run scripts/test.sh, which installs it with apt-get.");
        _ = executable;
        var directory = System.IO.Directory.CreateTempSubdirectory("edgestore-mosquitto-").FullName;
        var chosenPort = port ?? FreePort.Next();
        var broker = new MosquittoBroker(directory, chosenPort, listenerConfig is null ? extraConfig : listenerConfig + "\n" + extraConfig);
        broker.WriteConfig(listenerConfig is null);
        broker.StartProcess();
        return broker;
    }

    /// <summary>
    /// Starts mosquitto as a gateway's stock broker runs: <c>mosquitto -p PORT</c>, no configuration file at all, so
    /// its defaults apply (max_inflight_messages 20, max_queued_messages 1000, no persistence, loopback only).
    /// Its stderr is the log.
    /// </summary>
    public static MosquittoBroker StartStock()
    {
        _ = FindMosquitto()
            ?? throw new InvalidOperationException(
                "mosquitto is not installed: the tests need the real broker. Run scripts/test.sh, which installs it with apt-get.");
        var directory = System.IO.Directory.CreateTempSubdirectory("edgestore-mosquitto-stock-").FullName;
        var broker = new MosquittoBroker(directory, FreePort.Next(), string.Empty, stock: true);
        broker.StartProcess();
        return broker;
    }

    /// <summary>
    /// The dynamic-security plugin that ships in Debian's mosquitto package: the one way mosquitto 2.0.11 refuses a
    /// SUBSCRIBE (an acl_file rule only filters delivery), and its grants change at run time through
    /// <c>$CONTROL/dynamic-security/v1</c>.
    /// </summary>
    public static string FindDynamicSecurityPlugin() =>
        new[]
        {
            "/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so",
            "/usr/lib/aarch64-linux-gnu/mosquitto_dynamic_security.so",
            "/usr/lib/mosquitto_dynamic_security.so",
            "/usr/local/lib/mosquitto_dynamic_security.so",
        }.FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException("mosquitto_dynamic_security.so not found: this test needs the plugin that ships in Debian's mosquitto package");

    public static string? FindMosquitto()
    {
        foreach (var candidate in new[] { "/usr/sbin/mosquitto", "/usr/bin/mosquitto", "/usr/local/sbin/mosquitto" })
        {
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>Stops the broker gracefully (SIGTERM: it saves its persistence file) and waits for it to exit.</summary>
    public void Stop()
    {
        if (_process is null)
        {
            return;
        }

        if (!_process.HasExited)
        {
            UnixSignal.Send(_process.Id, UnixSignal.SigTerm);
            if (!_process.WaitForExit(10_000))
            {
                _process.Kill();
                _process.WaitForExit(5_000);
            }
        }

        _process.Dispose();
        _process = null;
    }

    /// <summary>Kills the broker with SIGKILL (no persistence save).</summary>
    public void Kill()
    {
        if (_process is { HasExited: false })
        {
            _process.Kill();
            _process.WaitForExit(5_000);
        }

        _process?.Dispose();
        _process = null;
    }

    /// <summary>Starts the broker again on the same port with the same config and persistence.</summary>
    public void Restart()
    {
        Stop();
        StartProcess();
    }

    public void StartAgain() => StartProcess();

    public string ReadLog() => File.Exists(LogPath) ? File.ReadAllText(LogPath) : string.Empty;

    public void Dispose()
    {
        Stop();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp directory is harmless.
        }
    }

    private void WriteConfig(bool defaultListener)
    {
        var config = new StringBuilder();
        config.AppendLine("# Written by the EdgeStore test fixture.");
        config.AppendLine("per_listener_settings false");
        if (defaultListener)
        {
            config.AppendLine($"listener {Port} 127.0.0.1");
            config.AppendLine("allow_anonymous true");
        }

        config.AppendLine("persistence true");
        config.AppendLine($"persistence_location {Directory}/");
        config.AppendLine("autosave_interval 0");
        // Ack-after-commit needs a large inflight window and a deep queue (see docs/MOSQUITTO.md).
        config.AppendLine("max_inflight_messages 0");
        config.AppendLine("max_queued_messages 1000000");
        config.AppendLine("max_queued_bytes 0");
        // No max_packet_size line: mosquitto 2.0.11 rejects 0, and its default is already "no limit"; a test
        // that needs a limit passes it in extraConfig.
        // Started as root (CI, containers), mosquitto would switch to the "mosquitto" user, which cannot write
        // this test's private directory; "user" is ignored when not root.
        config.AppendLine("user " + Environment.UserName);
        config.AppendLine("log_dest file " + LogPath);
        config.AppendLine("log_type error");
        config.AppendLine("log_type warning");
        config.AppendLine("log_type notice");
        config.AppendLine("log_type information");
        config.AppendLine("connection_messages true");
        config.AppendLine(_extraConfig);
        File.WriteAllText(ConfigPath, config.ToString());
    }

    private void StartProcess()
    {
        var info = new ProcessStartInfo(FindMosquitto()!, _stock ? ["-p", Port.ToString(System.Globalization.CultureInfo.InvariantCulture)] : ["-c", ConfigPath])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        _process = Process.Start(info) ?? throw new InvalidOperationException("mosquitto did not start");
        var startOutput = new System.Collections.Concurrent.ConcurrentQueue<string>();
        var stockLog = _stock ? LogPath : null;
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            if (stockLog is not null)
            {
                lock (startOutput)
                {
                    File.AppendAllText(stockLog, e.Data + "\n");
                }
            }

            if (startOutput.Count < 100)
            {
                startOutput.Enqueue(e.Data);
            }
        };
        _process.BeginErrorReadLine();
        _process.BeginOutputReadLine();
        var process = _process;
        try
        {
            Wait.Until(
                () => process.HasExited
                    ? throw new InvalidOperationException($"mosquitto exited with code {process.ExitCode} at start. Log:\n{ReadLog()}\n{string.Join('\n', startOutput)}")
                    : FreePort.IsListening(Port),
                TimeSpan.FromSeconds(15),
                $"mosquitto listening on 127.0.0.1:{Port}");
        }
        catch (TimeoutException e)
        {
            throw new TimeoutException($"{e.Message}. Log:\n{ReadLog()}", e);
        }
    }
}
