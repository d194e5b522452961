using EdgeStore.Testing;

namespace EdgeStore.Bench.MqttClients;

/// <summary>The broker every run uses: the test fixture's mosquitto (free 127.0.0.1 port, max_inflight_messages 0,
/// max_queued_messages 1000000, max_queued_bytes 0), without persistence, so a kill loses its sessions as a crash
/// would.</summary>
internal static class BenchBrokers
{
    public static MosquittoBroker Start() => MosquittoBroker.Start(extraConfig: "persistence false");
}
