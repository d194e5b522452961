namespace EdgeStore.Bench.Uplink;

/// <summary>One plain publisher's run through the upstream broker to the counting subscriber.</summary>
/// <param name="Publisher">Which publisher: `EdgeStore.Mqtt in-process` or `mosquitto_pub -l`.</param>
/// <param name="FirstToLast">From the first to the last message at the subscriber.</param>
/// <param name="Cpu">CPU time per process from the publisher's start to the last message.</param>
internal sealed record CeilingResult(
    string Publisher,
    int? BrokerInflight,
    long Messages,
    long Received,
    bool Complete,
    TimeSpan FirstToLast,
    IReadOnlyDictionary<string, TimeSpan> Cpu)
{
    public double MessagesPerSecond => Received / Math.Max(FirstToLast.TotalSeconds, 1e-6);
}
