namespace EdgeStore.Maintenance;

/// <summary>
/// What the ingest path consults before it acknowledges committed messages. While acks are not
/// allowed the broker keeps the backlog (unacknowledged QoS 1/2 messages are redelivered), so a
/// full disk loses nothing. Awaiting <see cref="WaitUntilAllowedAsync"/> in the writer's commit
/// callback also stops the writer, which fills the bounded queue and stops the socket reads.
/// </summary>
internal interface IAckGate
{
    bool AcksAllowed { get; }

    Task WaitUntilAllowedAsync(CancellationToken ct);
}
