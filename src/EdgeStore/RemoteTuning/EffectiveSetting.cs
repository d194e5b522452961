namespace EdgeStore.RemoteTuning;

/// <summary>One line of `edgestore config show`: a setting key (`Ingest:MaxBatchRows`), its effective value, and where it came from.</summary>
internal sealed record EffectiveSetting(string Key, string Value, string Source)
{
    public const string FromDefault = "default";
    public const string FromFile = "file";
    public const string FromEnvironment = "environment";
    public const string FromRemote = "remote";
}
