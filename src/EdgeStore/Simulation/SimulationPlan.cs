using EdgeStore.Mqtt;

namespace EdgeStore.Simulation;

/// <summary>
/// What `edgestore simulate` publishes. <see cref="MessagesPerSecond"/> 0 means as fast as the broker accepts.
/// The run ends at <see cref="Count"/> messages or after <see cref="Duration"/>, whichever comes first (null: no limit).
/// </summary>
internal sealed record SimulationPlan(
    int Devices,
    double MessagesPerSecond,
    TimeSpan? Duration,
    long? Count,
    MqttQualityOfService Qos,
    string TopicPrefix,
    int MalformedEvery,
    int MaxInFlight);
