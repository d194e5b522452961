namespace EdgeStore.Configuration;

/// <summary>
/// The one range check of EdgeStore's settings: a whole number from <see cref="Min"/> to <see cref="Max"/> inclusive,
/// with an optional unit. The local settings validator and remote desired documents both use it, so the same value is
/// refused with the same words: `must be 1..4096 MiB (got 0)`.
/// </summary>
internal readonly record struct SettingRange(long Min, long Max, string Unit = "")
{
    public bool Contains(long value) => value >= Min && value <= Max;

    /// <summary>Why <paramref name="value"/> is outside the range, or null when it is inside.</summary>
    public string? Problem(long value) => Contains(value) ? null : $"must be {Describe()} (got {value})";

    /// <summary>`1..4096 MiB`.</summary>
    public string Describe() => Unit.Length == 0 ? $"{Min}..{Max}" : $"{Min}..{Max} {Unit}";

    /// <summary>Adds a <see cref="SettingsError"/> for <paramref name="path"/> when <paramref name="value"/> is outside.</summary>
    public void Check(List<SettingsError> errors, string path, long value)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (Problem(value) is { } reason)
        {
            errors.Add(new SettingsError(path, reason));
        }
    }

    /// <summary>
    /// The duration in <paramref name="text"/> (the grammar of <see cref="DurationText"/>, clock form allowed) when it
    /// lies within <paramref name="min"/>..<paramref name="max"/>; <paramref name="fallback"/> when the text is empty,
    /// or (after adding the error) when it is not a duration in range.
    /// </summary>
    public static TimeSpan CheckDuration(List<SettingsError> errors, string path, string? text, TimeSpan fallback, TimeSpan min, TimeSpan max)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (string.IsNullOrWhiteSpace(text))
        {
            return fallback;
        }

        if (DurationText.TryParse(text, out var value, allowClock: true) && value >= min && value <= max)
        {
            return value;
        }

        errors.Add(new SettingsError(path, $"must be a duration from {DurationText.Format(min)} to {DurationText.Format(max)}, such as 30s or 2h (got '{text}')"));
        return fallback;
    }
}
