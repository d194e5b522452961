namespace EdgeStore.Configuration;

/// <summary>
/// What <see cref="SettingsLoader"/> produced: the settings with every default filled in, or the errors (never both),
/// and notices worth logging once the logger exists (for example a memory-map size lowered to the RAM cap).
/// <see cref="Configuration"/> is the merged file + environment tree the settings were bound from, for components that
/// bind their own section from an IConfiguration (the host adds it to its builder's configuration).
/// </summary>
internal sealed record SettingsLoadResult(EdgeStoreSettings? Settings, IReadOnlyList<SettingsError> Errors, IReadOnlyList<string> Notices, string? ConfigFile)
{
    public Microsoft.Extensions.Configuration.IConfiguration? Configuration { get; init; }

    /// <summary>The machine facts the defaults and the mmap cap were computed from; the daemon uses the same ones.</summary>
    public MachineFacts? Machine { get; init; }

    public bool IsValid => Settings is not null && Errors.Count == 0;
}
