namespace EdgeStore.Tests.EndToEnd;

/// <summary>
/// Process tests run one at a time and alone: each drives a broker, the daemon and a publisher flat out,
/// and a 2-core machine shared with parallel tests would turn their generous timeouts into flakes.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EndToEndCollection
{
    public const string Name = "EndToEnd";
}
