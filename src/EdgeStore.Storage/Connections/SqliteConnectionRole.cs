namespace EdgeStore.Storage;

/// <summary>What a connection opened by <see cref="SqliteConnectionFactory"/> is for.</summary>
public enum SqliteConnectionRole
{
    /// <summary>The single connection that writes (the batch writer's, or a migration's).</summary>
    Writer,

    /// <summary>A pooled, read-only connection of this process.</summary>
    Reader,
}
