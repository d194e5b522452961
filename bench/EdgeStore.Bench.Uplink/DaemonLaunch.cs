using System.Globalization;
using System.Text.Json.Nodes;

namespace EdgeStore.Bench.Uplink;

/// <summary>How the bench starts the built `edgestore run`: settings through EDGESTORE__ variables only, and its status.json read back.</summary>
internal static class DaemonLaunch
{
    public const string SubscribedLine = "Subscribed to";
    public const string UplinkConnectedLine = "Uplink connected to";

    /// <param name="upstreamPort">The upstream broker's port, or null for the uplink disabled.</param>
    public static ChildProcess Start(UplinkBenchOptions options, string databasePath, int gatewayPort, int? upstreamPort)
    {
        var environment = new Dictionary<string, string>
        {
            ["EDGESTORE__MQTT__HOST"] = "127.0.0.1",
            ["EDGESTORE__MQTT__PORT"] = gatewayPort.ToString(CultureInfo.InvariantCulture),
            ["EDGESTORE__MQTT__CLIENTID"] = "edgestore-bench",
            ["EDGESTORE__MQTT__SUBSCRIPTIONS__0__FILTER"] = "sensors/#",
            ["EDGESTORE__MQTT__SUBSCRIPTIONS__0__QOS"] = "1",
            ["EDGESTORE__STORAGE__PATH"] = databasePath,
            ["EDGESTORE__NODE__ID"] = "bench",
            ["EDGESTORE__UPLINK__ENABLED"] = upstreamPort is null ? "false" : "true",
        };
        if (upstreamPort is { } port)
        {
            environment["EDGESTORE__UPLINK__HOST"] = "127.0.0.1";
            environment["EDGESTORE__UPLINK__PORT"] = port.ToString(CultureInfo.InvariantCulture);
        }

        foreach (var (name, value) in options.DaemonEnvironment)
        {
            environment[name] = value;
        }

        return ChildProcess.Start(options.EdgeStorePath, ["run"], environment, Path.GetDirectoryName(databasePath));
    }

    /// <summary>`uplink.forwarded` from the status.json beside the database (the daemon rewrites it once more when it stops), or null.</summary>
    public static long? ReadForwarded(string databasePath)
    {
        var path = Path.Combine(Path.GetDirectoryName(databasePath)!, "status.json");
        try
        {
            return JsonNode.Parse(File.ReadAllText(path))?["uplink"]?["forwarded"]?.GetValue<long>();
        }
        catch (Exception e) when (e is IOException or System.Text.Json.JsonException or InvalidOperationException)
        {
            return null;
        }
    }
}
