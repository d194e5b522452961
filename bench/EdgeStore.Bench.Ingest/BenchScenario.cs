namespace EdgeStore.Bench.Ingest;

/// <summary>How one measured run is set up.</summary>
/// <param name="Name">Short name, selectable with --scenarios.</param>
/// <param name="Qos">QoS the sensors publish at (the daemon subscribes at QoS 1; delivery is the lower of the two).</param>
/// <param name="BrokerInflight">mosquitto's max_inflight_messages (0 = unlimited; mosquitto's default is 20).</param>
/// <param name="ProtocolVersion">MQTT version the daemon connects with: 5 (sends a receive maximum) or 4 (3.1.1, does not).</param>
/// <param name="Backlog">
/// False: the daemon is subscribed while the sensors publish (live stream, what a gateway sees).
/// True: the sensors publish into the daemon's session while it is stopped, then the daemon drains the queue;
/// this isolates the subscriber side, because mosquitto also tells MQTT 5 publishers its inflight limit.
/// </param>
/// <param name="ReceiveMaximum">
/// The daemon's Mqtt:ReceiveMaximum, or null for its default (65535, which the client leaves out of CONNECT because
/// it is the protocol default). Mosquitto replaces max_inflight_messages with the client's value only when the
/// CONNECT carries one, so this decides which window applies to an MQTT 5 subscriber.
/// </param>
/// <param name="Durability">The daemon's Storage:Durability: Normal (default) or Full (an fsync per commit).</param>
internal sealed record BenchScenario(
    string Name, int Qos, int BrokerInflight, int ProtocolVersion, bool Backlog, int? ReceiveMaximum = null, string Durability = "Normal")
{
    public static IReadOnlyList<BenchScenario> All { get; } =
    [
        new("live-qos0", Qos: 0, BrokerInflight: 1000, ProtocolVersion: 5, Backlog: false),
        new("live-qos1", Qos: 1, BrokerInflight: 1000, ProtocolVersion: 5, Backlog: false),
        new("drain-v5-inflight20", Qos: 1, BrokerInflight: 20, ProtocolVersion: 5, Backlog: true),
        new("drain-v5-inflight20-rm1000", Qos: 1, BrokerInflight: 20, ProtocolVersion: 5, Backlog: true, ReceiveMaximum: 1000),
        new("drain-v5-inflight20-rm65000", Qos: 1, BrokerInflight: 20, ProtocolVersion: 5, Backlog: true, ReceiveMaximum: 65000),
        new("drain-v5-inflight1000", Qos: 1, BrokerInflight: 1000, ProtocolVersion: 5, Backlog: true),
        new("drain-v5-unlimited", Qos: 1, BrokerInflight: 0, ProtocolVersion: 5, Backlog: true),
        new("drain-v311-inflight20", Qos: 1, BrokerInflight: 20, ProtocolVersion: 4, Backlog: true),
        new("drain-v311-inflight1000", Qos: 1, BrokerInflight: 1000, ProtocolVersion: 4, Backlog: true),
        new("drain-v311-unlimited", Qos: 1, BrokerInflight: 0, ProtocolVersion: 4, Backlog: true),
        new("live-qos1-inflight20", Qos: 1, BrokerInflight: 20, ProtocolVersion: 5, Backlog: false),
        new("drain-full-v5-inflight20", Qos: 1, BrokerInflight: 20, ProtocolVersion: 5, Backlog: true, Durability: "Full"),
        new("drain-full-v5-inflight20-rm65000", Qos: 1, BrokerInflight: 20, ProtocolVersion: 5, Backlog: true, ReceiveMaximum: 65000, Durability: "Full"),
        new("drain-full-v5-unlimited", Qos: 1, BrokerInflight: 0, ProtocolVersion: 5, Backlog: true, Durability: "Full"),
    ];
}
