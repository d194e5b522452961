namespace EdgeStore.Configuration;

/// <summary>One thing wrong with the configuration: the setting's path (`Mqtt:Port`) or the file, and why.</summary>
internal sealed record SettingsError(string Path, string Reason)
{
    public override string ToString() => $"{Path}: {Reason}";
}
