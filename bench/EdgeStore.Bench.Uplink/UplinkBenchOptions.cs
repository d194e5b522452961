using System.Globalization;

namespace EdgeStore.Bench.Uplink;

/// <summary>The bench's command line. Every wait of every run is bounded by <see cref="Timeout"/>.</summary>
internal sealed class UplinkBenchOptions
{
    public const string Usage = """
        usage: EdgeStore.Bench.Uplink [--rows 1000000] [--ingest-count 200000] [--repeat 1] [--timeout 300]
                                      [--broker-inflight default,0] [--ingest-broker-inflight default] [--subscriber-qos 0] [--parts drain,ceiling,ingest]
                                      [--edgestore PATH] [--env NAME=VALUE]...
        Makes a database with --rows stored rows, then for each upstream max_inflight_messages in --broker-inflight
        ("default" leaves the line out of mosquitto's config) drains it through the built daemon's uplink to a private
        loopback mosquitto and a counting subscriber, and pushes the same number of messages through that broker from a
        plain publisher (the ceiling). Then measures ingest (`edgestore simulate --count --ingest-count --rate 0 --qos 1`)
        with the uplink off and on (the upstream broker's max_inflight_messages from --ingest-broker-inflight). --env passes a daemon setting to every run (e.g. EDGESTORE__UPLINK__MAXINFLIGHT=20).
        """;

    public string EdgeStorePath { get; private set; } = Path.Combine(AppContext.BaseDirectory, "edgestore");

    public int Rows { get; private set; } = 1_000_000;

    public int IngestCount { get; private set; } = 200_000;

    public int Devices => 100;

    public int Repeat { get; private set; } = 1;

    public TimeSpan Timeout { get; private set; } = TimeSpan.FromSeconds(300);

    /// <summary>The upstream broker's max_inflight_messages per drain configuration; null = mosquitto's default.</summary>
    public IReadOnlyList<int?> BrokerInflight { get; private set; } = [null, 0];

    /// <summary>The upstream broker's max_inflight_messages while ingest runs with the uplink on; null = its default.</summary>
    public int? IngestBrokerInflight { get; private set; }

    /// <summary>QoS of the counting subscriber's subscription to `gateways/#`.</summary>
    public int SubscriberQos { get; private set; }

    public IReadOnlySet<string> Parts { get; private set; } = new HashSet<string>(["drain", "ceiling", "ingest"]);

    /// <summary>Extra daemon settings for experiments, e.g. EDGESTORE__UPLINK__READBATCHROWS=5000.</summary>
    public Dictionary<string, string> DaemonEnvironment { get; } = [];

    public static string Describe(int? inflight) =>
        inflight switch
        {
            null => "default (line left out)",
            0 => "0 (unlimited)",
            { } n => n.ToString(CultureInfo.InvariantCulture),
        };

    public static UplinkBenchOptions Parse(string[] args)
    {
        var options = new UplinkBenchOptions();
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value\n{Usage}");
            switch (args[i])
            {
                case "--edgestore":
                    options.EdgeStorePath = Path.GetFullPath(value);
                    break;
                case "--rows":
                    options.Rows = Positive(value);
                    break;
                case "--ingest-count":
                    options.IngestCount = Positive(value);
                    break;
                case "--repeat":
                    options.Repeat = Positive(value);
                    break;
                case "--timeout":
                    options.Timeout = TimeSpan.FromSeconds(Positive(value));
                    break;
                case "--broker-inflight":
                    options.BrokerInflight = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                        .Select(v => v == "default" ? (int?)null : int.Parse(v, CultureInfo.InvariantCulture))
                        .ToList();
                    break;
                case "--ingest-broker-inflight":
                    options.IngestBrokerInflight = value == "default" ? null : int.Parse(value, CultureInfo.InvariantCulture);
                    break;
                case "--subscriber-qos":
                    options.SubscriberQos = value is "0" or "1" ? int.Parse(value, CultureInfo.InvariantCulture) : throw new ArgumentException("--subscriber-qos is 0 or 1");
                    break;
                case "--parts":
                    options.Parts = value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet();
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

    private static int Positive(string value)
    {
        var number = int.Parse(value, CultureInfo.InvariantCulture);
        return number > 0 ? number : throw new ArgumentException($"{value} must be positive");
    }
}
