namespace EdgeStore.Simulation;

/// <summary>
/// What a simulation run achieved: messages the broker accepted (QoS 1: PUBACK received; QoS 0: written), how many of
/// them were deliberately malformed, how many could not be published after retries, and the time from the first
/// publish to the last completion.
/// </summary>
internal sealed record SimulationResult(long Published, long Malformed, long Failed, TimeSpan Elapsed)
{
    public double MessagesPerSecond => Elapsed > TimeSpan.Zero ? Published / Elapsed.TotalSeconds : 0;
}
