namespace EdgeStore.Configuration;

/// <summary>
/// The `RemoteTuning` section: the local guard rails of remote tuning. None of these can be changed remotely, so a
/// desired document can never widen its own limits.
/// </summary>
internal sealed class RemoteTuningSettings
{
    /// <summary>False: neither `config/desired` nor `cmd/maintenance` is subscribed; state and metrics are still published.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Larger desired documents are refused unparsed (`too_large`).</summary>
    public int MaxDocumentBytes { get; set; } = 64 * 1024;

    /// <summary>Documents processed back to back before the rate limit applies.</summary>
    public int RateBurst { get; set; } = 5;

    /// <summary>After the burst, one document per this interval; documents arriving faster are superseded by the newest.</summary>
    public int RateIntervalMs { get; set; } = 2000;

    /// <summary>How long after a change EdgeStore watches the broker connection and commits before trusting the change.</summary>
    public int ProbationSeconds { get; set; } = 600;

    /// <summary>Within probation, this long without the broker or without commits (while messages wait) rolls the change back.</summary>
    public int RollbackAfterSeconds { get; set; } = 120;
}
