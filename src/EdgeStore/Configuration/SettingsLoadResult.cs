namespace EdgeStore.Configuration;

/// <summary>
/// What <see cref="SettingsLoader"/> produced: the settings with every default filled in, or the errors (never both),
/// and notices worth logging once the logger exists (for example a memory-map size lowered to the RAM cap).
/// </summary>
internal sealed record SettingsLoadResult(EdgeStoreSettings? Settings, IReadOnlyList<SettingsError> Errors, IReadOnlyList<string> Notices, string? ConfigFile)
{
    public bool IsValid => Settings is not null && Errors.Count == 0;
}
