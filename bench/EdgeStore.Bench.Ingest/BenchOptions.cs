using System.Globalization;

namespace EdgeStore.Bench.Ingest;

/// <summary>The bench's command line. Every run is bounded by <see cref="Timeout"/>.</summary>
internal sealed class BenchOptions
{
    public string EdgeStorePath { get; private set; } = Path.Combine(AppContext.BaseDirectory, "edgestore");

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
               EdgeStore.Bench.Ingest --window-probe
        Starts its own mosquitto on a free 127.0.0.1 port and the built edgestore daemon for each scenario,
        publishes with `edgestore simulate --rate 0`, and prints stored rows/s, loss, duplicates, peak RSS and CPU.
        --window-probe prints the inflight window mosquitto grants a subscriber per broker setting and client kind.
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

            var value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value\n{Usage}");
            switch (args[i])
            {
                case "--edgestore":
                    options.EdgeStorePath = Path.GetFullPath(value);
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

        return options;
    }
}
