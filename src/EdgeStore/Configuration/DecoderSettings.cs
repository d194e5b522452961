namespace EdgeStore.Configuration;

/// <summary>The `Decoder` section.</summary>
internal sealed class DecoderSettings
{
    /// <summary>
    /// Topic filters whose payloads must be JSON: a payload on a matching topic that does not parse goes to quarantine
    /// with the reason instead of being stored raw.
    /// </summary>
    public List<string> JsonTopics { get; set; } = [];
}
