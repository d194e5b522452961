namespace EdgeStore.Memory;

/// <summary>
/// Keeps the level from flapping: a rise takes effect at once (memory trouble does not wait), a fall only
/// after the lower readings have held for the whole hold period. If readings inside that period were mixed
/// (say Normal and Elevated while at Critical), the level steps down to the worst of them, never lower.
/// Not thread-safe: the monitor's single poll loop owns it.
/// </summary>
internal sealed class PressureHysteresis
{
    private readonly TimeSpan _hold;
    private DateTimeOffset? _lowerSince;
    private MemoryPressureLevel _worstSinceLower;

    public PressureHysteresis(TimeSpan hold)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(hold, TimeSpan.Zero);
        _hold = hold;
    }

    public MemoryPressureLevel Level { get; private set; } = MemoryPressureLevel.Normal;

    /// <summary>Feeds one reading; returns the level now in force.</summary>
    public MemoryPressureLevel Update(MemoryPressureLevel reading, DateTimeOffset now)
    {
        if (reading >= Level)
        {
            Level = reading;
            _lowerSince = null;
            return Level;
        }

        if (_lowerSince is null)
        {
            _lowerSince = now;
            _worstSinceLower = reading;
        }
        else if (reading > _worstSinceLower)
        {
            _worstSinceLower = reading;
        }

        if (now - _lowerSince.Value >= _hold)
        {
            Level = _worstSinceLower;
            // Still above the reading: start a fresh hold for the next step down.
            _lowerSince = reading < Level ? now : null;
            _worstSinceLower = reading;
        }

        return Level;
    }
}
