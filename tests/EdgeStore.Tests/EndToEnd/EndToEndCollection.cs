namespace EdgeStore.Tests.EndToEnd;

/// <summary>
/// Tests that start processes (above all the daemon, through <see cref="EdgeStore.Testing.EdgeStoreProcess"/>) or observe
/// state this whole test process shares (/proc/self/maps, Microsoft.Data.Sqlite's connection pools) run one at a time
/// and alone: each drives a broker, the daemon and a publisher flat out, and a 2-core machine shared with parallel
/// tests would turn their generous timeouts into flakes. xunit runs this collection after the parallel ones.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EndToEndCollection
{
    public const string Name = "EndToEnd";
}
