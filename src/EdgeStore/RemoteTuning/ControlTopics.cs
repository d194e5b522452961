namespace EdgeStore.RemoteTuning;

/// <summary>EdgeStore's own topics, `edgestore/&lt;node&gt;/...` (docs/ARCHITECTURE.md, Configuration and topics). Only the two inbound ones are subscribed.</summary>
internal sealed record ControlTopics(string NodeId)
{
    public string Prefix => $"edgestore/{NodeId}/";

    public string Desired => Prefix + "config/desired";

    public string Reported => Prefix + "config/reported";

    public string State => Prefix + "state";

    public string Metrics => Prefix + "metrics";

    public string MaintenanceCommand => Prefix + "cmd/maintenance";

    public string MaintenanceResult => Prefix + "cmd/maintenance/result";
}
