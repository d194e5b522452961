using System.Globalization;

namespace EdgeStore.Bench.Ingest;

/// <summary>What the program does: the scenarios (the default), or one of issue #12's comparisons.</summary>
internal enum BenchMode
{
    Scenarios,
    Compare,
    Reconnects,
    Startup,
}

/// <summary>The bench's command line. Every run is bounded by <see cref="Timeout"/>.</summary>
internal sealed class BenchOptions
{
    /// <summary>The daemon of the scenarios, and the publisher (<c>edgestore simulate</c>) of every mode.</summary>
    public string EdgeStorePath { get; private set; } = Path.Combine(AppContext.BaseDirectory, "edgestore");

    public BenchMode Mode { get; private set; } = BenchMode.Scenarios;

    /// <summary>EdgeStore published with Native AOT (compare, reconnects, startup).</summary>
    public string EdgeStoreAotPath { get; private set; } = RepositoryPath("out", "bench-aot", "edgestore");

    /// <summary>EdgeStore as <c>dotnet build -c Release</c> leaves it, run through its apphost.</summary>
    public string EdgeStoreJitPath { get; private set; } = RepositoryPath("src", "EdgeStore", "bin", BuildConfiguration, "net10.0", "edgestore");

    /// <summary>The minimal MQTTnet 5.2 + Microsoft.Data.Sqlite subscriber (bench/EdgeStore.Bench.MqttNetStore).</summary>
    public string MqttNetStorePath { get; private set; } =
        RepositoryPath("bench", "EdgeStore.Bench.MqttNetStore", "bin", BuildConfiguration, "net10.0", "EdgeStore.Bench.MqttNetStore");

    /// <summary>Compare mode: which subscribers, in this order within each repetition.</summary>
    public IReadOnlyList<string> Systems { get; private set; } = ["ceiling", "aot", "jit", "mqttnet"];

    /// <summary>Compare mode: the publishers' QoS levels.</summary>
    public IReadOnlyList<int> QosLevels { get; private set; } = [0, 1];

    /// <summary>Reconnect and startup modes: which EdgeStore builds.</summary>
    public IReadOnlyList<string> Builds { get; private set; } = ["aot", "jit"];

    /// <summary>Reconnect mode: connections cut; startup mode: starts per build.</summary>
    public int Count { get; private set; }

    /// <summary>Reconnect mode: QoS 1 messages published before each cut.</summary>
    public int MessagesPerReconnect { get; private set; } = 10;

    private const string BuildConfiguration =
#if DEBUG
        "Debug";
#else
        "Release";
#endif

    public int Messages { get; private set; } = 200_000;

    public int Devices { get; private set; } = 100;

    public TimeSpan Timeout { get; private set; } = TimeSpan.FromSeconds(300);

    public IReadOnlyList<BenchScenario> Scenarios { get; private set; } = BenchScenario.All;

    public int Repeat { get; private set; } = 1;

    /// <summary>Record a perf profile of the daemon during each measured window.</summary>
    public bool Perf { get; private set; }

    /// <summary>Extra daemon settings for experiments, e.g. EDGESTORE__INGEST__MAXBATCHROWS=5000.</summary>
    public Dictionary<string, string> DaemonEnvironment { get; } = [];

    public const string Usage = """
        usage: EdgeStore.Bench.Ingest [--edgestore PATH] [--messages 200000] [--devices 100] [--timeout 300]
                                      [--scenarios live-qos0,live-qos1,...] [--repeat 1] [--env NAME=VALUE]... [--perf]
               EdgeStore.Bench.Ingest --compare [--messages 200000] [--devices 100] [--repeat 3] [--qos 0,1]
                                      [--systems ceiling,aot,jit,mqttnet] [--edgestore-aot PATH] [--edgestore-jit PATH]
                                      [--mqttnet-store PATH] [--edgestore PATH (the publisher)] [--timeout 300]
               EdgeStore.Bench.Ingest --reconnects 1500 [--builds aot,jit] [--messages-per-reconnect 10] [--timeout 300]
               EdgeStore.Bench.Ingest --startup 11 [--builds aot,jit]
               EdgeStore.Bench.Ingest --window-probe
        Starts its own mosquitto on a free 127.0.0.1 port and the built edgestore daemon for each scenario,
        publishes with `edgestore simulate --rate 0`, and prints stored rows/s, loss, duplicates, peak RSS and CPU.
        --compare runs mosquitto_sub (the ceiling), EdgeStore AOT, EdgeStore JIT and a minimal MQTTnet + SQLite
        subscriber in turn on the same broker settings and publisher, and prints a markdown table of medians.
        --reconnects cuts the daemon's connection N times through a loopback relay and prints RssAnon and loss.
        --startup starts the daemon N times on a fresh database and prints exec -> subscribed.
        --window-probe prints the inflight window mosquitto grants a subscriber per broker setting and client kind.
        Defaults: --edgestore-jit src/EdgeStore/bin/Release/net10.0/edgestore, --edgestore-aot out/bench-aot/edgestore
        (dotnet publish src/EdgeStore/EdgeStore.csproj -c Release -r linux-x64 -p:PublishAot=true -o out/bench-aot).
        """;

    public static BenchOptions Parse(string[] args)
    {
        var options = new BenchOptions();
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--perf")
            {
                options.Perf = true;
                continue;
            }

            if (args[i] == "--compare")
            {
                options.Mode = BenchMode.Compare;
                continue;
            }

            var value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value\n{Usage}");
            switch (args[i])
            {
                case "--edgestore":
                    options.EdgeStorePath = Path.GetFullPath(value);
                    break;
                case "--edgestore-aot":
                    options.EdgeStoreAotPath = Path.GetFullPath(value);
                    break;
                case "--edgestore-jit":
                    options.EdgeStoreJitPath = Path.GetFullPath(value);
                    break;
                case "--mqttnet-store":
                    options.MqttNetStorePath = Path.GetFullPath(value);
                    break;
                case "--systems":
                    options.Systems = List(value, "ceiling", "aot", "jit", "mqttnet");
                    break;
                case "--builds":
                    options.Builds = List(value, "aot", "jit");
                    break;
                case "--qos":
                    options.QosLevels = List(value, "0", "1").Select(q => int.Parse(q, CultureInfo.InvariantCulture)).ToList();
                    break;
                case "--reconnects":
                    options.Mode = BenchMode.Reconnects;
                    options.Count = int.Parse(value, CultureInfo.InvariantCulture);
                    break;
                case "--messages-per-reconnect":
                    options.MessagesPerReconnect = int.Parse(value, CultureInfo.InvariantCulture);
                    break;
                case "--startup":
                    options.Mode = BenchMode.Startup;
                    options.Count = int.Parse(value, CultureInfo.InvariantCulture);
                    break;
                case "--messages":
                    options.Messages = int.Parse(value, CultureInfo.InvariantCulture);
                    break;
                case "--devices":
                    options.Devices = int.Parse(value, CultureInfo.InvariantCulture);
                    break;
                case "--timeout":
                    options.Timeout = TimeSpan.FromSeconds(int.Parse(value, CultureInfo.InvariantCulture));
                    break;
                case "--repeat":
                    options.Repeat = int.Parse(value, CultureInfo.InvariantCulture);
                    break;
                case "--scenarios":
                    var names = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    options.Scenarios = names
                        .Select(n => BenchScenario.All.FirstOrDefault(s => s.Name == n)
                            ?? throw new ArgumentException($"unknown scenario {n}; known: {string.Join(", ", BenchScenario.All.Select(s => s.Name))}"))
                        .ToList();
                    break;
                case "--env":
                    var equals = value.IndexOf('=', StringComparison.Ordinal);
                    if (equals <= 0)
                    {
                        throw new ArgumentException($"--env takes NAME=VALUE, not {value}");
                    }

                    options.DaemonEnvironment[value[..equals]] = value[(equals + 1)..];
                    break;
                default:
                    throw new ArgumentException($"unknown argument {args[i]}\n{Usage}");
            }

            i++;
        }

        if (!File.Exists(options.EdgeStorePath))
        {
            throw new ArgumentException($"no edgestore executable at {options.EdgeStorePath}; build it or pass --edgestore PATH");
        }

        var wanted = options.Mode switch
        {
            BenchMode.Compare => options.Systems,
            BenchMode.Reconnects or BenchMode.Startup => options.Builds,
            _ => [],
        };
        foreach (var name in wanted)
        {
            var (path, hint) = name switch
            {
                "aot" => (options.EdgeStoreAotPath, "publish it with `dotnet publish src/EdgeStore/EdgeStore.csproj -c Release -r linux-x64 -p:PublishAot=true -o out/bench-aot` or pass --edgestore-aot PATH"),
                "jit" => (options.EdgeStoreJitPath, "build it with `dotnet build src/EdgeStore -c Release` or pass --edgestore-jit PATH"),
                "mqttnet" => (options.MqttNetStorePath, "build it with `dotnet build bench/EdgeStore.Bench.Ingest -c Release` (it builds bench/EdgeStore.Bench.MqttNetStore too) or pass --mqttnet-store PATH"),
                _ => ("/usr/bin/mosquitto_sub", "install mosquitto-clients"),
            };
            if (!File.Exists(path))
            {
                throw new ArgumentException($"{name}: no executable at {path}; {hint} (or leave it out with --{(options.Mode == BenchMode.Compare ? "systems" : "builds")})");
            }
        }

        return options;
    }

    /// <summary>The executable of an EdgeStore build named "aot" or "jit".</summary>
    public string BuildPath(string build) => build == "aot" ? EdgeStoreAotPath : EdgeStoreJitPath;

    private static List<string> List(string value, params string[] known)
    {
        var items = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        foreach (var item in items.Where(i => Array.IndexOf(known, i) < 0))
        {
            throw new ArgumentException($"unknown choice {item}; known: {string.Join(", ", known)}");
        }

        return items.Count > 0 ? items : throw new ArgumentException($"an empty list; known: {string.Join(", ", known)}");
    }

    /// <summary>A path in the checkout this bench was built from (found upwards from the bench's own directory).</summary>
    private static string RepositoryPath(params string[] parts)
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "EdgeStore.sln")))
            {
                return Path.Combine([directory.FullName, .. parts]);
            }
        }

        return Path.Combine([Environment.CurrentDirectory, .. parts]);
    }
}
