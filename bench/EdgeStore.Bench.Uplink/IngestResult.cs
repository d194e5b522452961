namespace EdgeStore.Bench.Uplink;

/// <summary>One ingest run, with the uplink off or forwarding while it stores.</summary>
/// <param name="Window">From the first stored row's receive time to the last commit seen.</param>
/// <param name="ForwardedAtIngestEnd">What the upstream subscriber had counted when the last row was stored.</param>
/// <param name="ForwardedAtEnd">What it had counted when the run ended (after waiting for the uplink to catch up).</param>
/// <param name="CatchUp">From the last stored row to the last forwarded one (zero without the uplink).</param>
/// <param name="StatusForwarded">`uplink.forwarded` in status.json after the daemon stopped.</param>
internal sealed record IngestResult(
    bool Uplink,
    long Published,
    long Stored,
    TimeSpan Window,
    long ForwardedAtIngestEnd,
    long ForwardedAtEnd,
    TimeSpan CatchUp,
    long? StatusForwarded,
    IReadOnlyDictionary<string, TimeSpan> Cpu,
    long PeakRssAnonKiB,
    bool TimedOut)
{
    public double RowsPerSecond => Stored / Math.Max(Window.TotalSeconds, 1e-6);
}
