using System.Globalization;

namespace EdgeStore.Bench.MqttClients;

/// <summary>The command line of the bench; every load is bounded by <see cref="Count"/> and <see cref="TimeLimit"/>.</summary>
internal sealed class BenchOptions
{
    public const string Usage =
        "usage: EdgeStore.Bench.MqttClients [--count N (200000)] [--warmup N (20000)] [--payload-bytes B (200)] [--time-limit-seconds S (120)] [--runs flood,lateack,cpu,ceiling]";

    public long Count { get; private set; } = 200_000;

    public long Warmup { get; private set; } = 20_000;

    public int PayloadBytes { get; private set; } = 200;

    public TimeSpan TimeLimit { get; private set; } = TimeSpan.FromSeconds(120);

    public IReadOnlyList<string> Runs { get; private set; } = ["flood", "lateack", "cpu", "ceiling"];

    /// <summary>Null when the arguments are not understood.</summary>
    public static BenchOptions? Parse(IReadOnlyList<string> args)
    {
        var options = new BenchOptions();
        for (var i = 0; i < args.Count; i += 2)
        {
            if (i + 1 >= args.Count)
            {
                return null;
            }

            var value = args[i + 1];
            switch (args[i])
            {
                case "--count":
                    options.Count = long.Parse(value, CultureInfo.InvariantCulture);
                    break;
                case "--warmup":
                    options.Warmup = long.Parse(value, CultureInfo.InvariantCulture);
                    break;
                case "--payload-bytes":
                    options.PayloadBytes = int.Parse(value, CultureInfo.InvariantCulture);
                    break;
                case "--time-limit-seconds":
                    options.TimeLimit = TimeSpan.FromSeconds(int.Parse(value, CultureInfo.InvariantCulture));
                    break;
                case "--runs":
                    options.Runs = value.Split(',', StringSplitOptions.RemoveEmptyEntries);
                    break;
                default:
                    return null;
            }
        }

        return options.Count > 0 && options.Warmup >= 0 && options.PayloadBytes >= 64 && options.TimeLimit > TimeSpan.Zero ? options : null;
    }
}
