using System.Globalization;
using System.Text;

namespace EdgeStore.Bench.Uplink;

/// <summary>
/// The telemetry every part of the bench moves: topics `sensors/dev-XXXX/telemetry` over 100 devices and JSON payloads
/// of about 150 bytes, the same for the stored backlog and for the ceiling's plain publisher.
/// </summary>
internal static class SensorReading
{
    public static string Topic(int device) => string.Create(CultureInfo.InvariantCulture, $"sensors/dev-{device:D4}/telemetry");

    /// <summary>Reading <paramref name="sequence"/> of <paramref name="device"/>; the values vary with both so no two rows are alike.</summary>
    public static byte[] Payload(int device, long sequence, long timestampUnixMs)
    {
        var phase = (sequence + device) % 1000;
        return Encoding.UTF8.GetBytes(string.Create(
            CultureInfo.InvariantCulture,
            $"{{\"seq\":{sequence},\"ts\":{timestampUnixMs},\"device\":\"dev-{device:D4}\",\"temperature\":{18 + (phase * 0.008):F2},\"humidity\":{35 + (phase * 0.03):F1},\"battery\":{4.2 - (phase * 0.0006):F3},\"rssi\":{-40 - (phase % 50)},\"fw\":\"2.4.1\",\"status\":\"ok\",\"up\":{10_000 + (sequence % 90_000)}}}"));
    }
}
