using System.Globalization;
using System.Text;

namespace EdgeStore.Simulation;

/// <summary>
/// One simulated sensor: a per-device sequence starting at 1, and readings that drift slowly like real ones
/// (temperature, humidity, battery voltage), so demo output and stored rows look like telemetry.
/// </summary>
internal sealed class SimulatedDevice
{
    private readonly Random _random;
    private double _temperature;
    private double _humidity;
    private double _battery;

    public SimulatedDevice(int number, string topicPrefix, int seed)
    {
        Id = $"dev-{number:D4}";
        Topic = $"{topicPrefix}/{Id}/telemetry";
        _random = new Random(seed);
        _temperature = 18 + (_random.NextDouble() * 8);
        _humidity = 35 + (_random.NextDouble() * 30);
        _battery = 3.6 + (_random.NextDouble() * 0.6);
    }

    public string Id { get; }

    public string Topic { get; }

    /// <summary>The sequence number of the last well-formed message; 0 before the first.</summary>
    public long Sequence { get; private set; }

    /// <summary>The next reading: `{"seq":N,"ts":&lt;epoch ms&gt;,"temperature":..,"humidity":..,"battery":..}`.</summary>
    public byte[] NextPayload(long timestampUnixMs)
    {
        Sequence++;
        _temperature = Math.Clamp(_temperature + ((_random.NextDouble() - 0.5) * 0.2), -20, 50);
        _humidity = Math.Clamp(_humidity + ((_random.NextDouble() - 0.5) * 0.5), 5, 95);
        _battery = Math.Max(3.0, _battery - (_random.NextDouble() * 0.0005));
        return Encoding.UTF8.GetBytes(string.Create(
            CultureInfo.InvariantCulture,
            $"{{\"seq\":{Sequence},\"ts\":{timestampUnixMs},\"temperature\":{_temperature:F2},\"humidity\":{_humidity:F1},\"battery\":{_battery:F3}}}"));
    }

    /// <summary>
    /// A broken JSON document (cut off mid-value) for exercising quarantine. It does not use a sequence number, so the
    /// device's well-formed messages keep a complete 1..N sequence.
    /// </summary>
    public byte[] MalformedPayload() =>
        Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{{\"device\":\"{Id}\",\"temperature\":{_temperature:F1},"));
}
