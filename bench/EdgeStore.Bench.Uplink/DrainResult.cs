namespace EdgeStore.Bench.Uplink;

/// <summary>One drain of the backlog through the uplink.</summary>
/// <param name="BrokerInflight">The upstream broker's max_inflight_messages (null = its default).</param>
/// <param name="Window">The N of the daemon's "up to N rows awaiting PUBACK".</param>
/// <param name="Received">Messages the subscriber counted (more than the backlog would be redeliveries).</param>
/// <param name="ConnectedToLast">From the "Uplink connected" line to the last message at the subscriber.</param>
/// <param name="FirstToLast">From the first to the last message at the subscriber.</param>
/// <param name="Cpu">CPU time per process from the "Uplink connected" line to the last message.</param>
/// <param name="Forwarded">`uplink.forwarded` in status.json after the daemon stopped.</param>
internal sealed record DrainResult(
    int? BrokerInflight,
    int Window,
    long Rows,
    long Received,
    bool Complete,
    TimeSpan ConnectedToLast,
    TimeSpan FirstToLast,
    IReadOnlyDictionary<string, TimeSpan> Cpu,
    IReadOnlyList<(string Thread, TimeSpan Cpu)> DaemonThreads,
    long PeakRssAnonKiB,
    long PeakVmHwmKiB,
    long? Forwarded,
    int DaemonExitCode)
{
    public double RowsPerSecond => Received / Math.Max(FirstToLast.TotalSeconds, 1e-6);

    public double RowsPerSecondFromConnect => Received / Math.Max(ConnectedToLast.TotalSeconds, 1e-6);

    public double DaemonCpuSecondsPer1000Rows => Cpu["daemon"].TotalSeconds / Math.Max(Received / 1000.0, 1e-6);
}
