namespace EdgeStore.Configuration;

/// <summary>The `Node` section: who this gateway is.</summary>
internal sealed class NodeSettings
{
    /// <summary>Null means the host name. Used in `edgestore/&lt;node&gt;/...` topics and the default client id.</summary>
    public string? Id { get; set; }
}
