namespace EdgeStore.Bench.Ingest;

/// <summary>What one run measured. Rates are rows per second from the first stored receive to the last commit seen.</summary>
internal sealed record BenchResult(
    BenchScenario Scenario,
    long Published,
    long Stored,
    long Duplicates,
    long Quarantined,
    TimeSpan StoreWindow,
    double PublisherRatePerSecond,
    long PeakRssAnonKiB,
    long PeakRssFileKiB,
    long PeakVmHwmKiB,
    IReadOnlyDictionary<string, TimeSpan> Cpu,
    IReadOnlyList<(string Thread, TimeSpan Cpu)> DaemonThreads,
    int DaemonExitCode,
    int BrokerDropWarnings,
    bool TimedOut,
    string? Profile)
{
    /// <summary>
    /// Published but not stored when the run ended (stored count settled for 5 s, or the timeout): lost, or still
    /// held by the broker because the daemon stalled. Either way a failure of the run.
    /// </summary>
    public long Missing => Published - (Stored - Duplicates);

    public double RowsPerSecond => StoreWindow > TimeSpan.Zero ? Stored / StoreWindow.TotalSeconds : 0;
}
