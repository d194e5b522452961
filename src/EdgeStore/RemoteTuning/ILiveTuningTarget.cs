namespace EdgeStore.RemoteTuning;

/// <summary>
/// Something that takes tuned values live: the batch writer, the connection limits, the log level, the maintenance
/// schedule. <see cref="ApplyAsync"/> is called with the values before and after a change (and again with them swapped
/// to undo a change another target refused); it must be idempotent and leave its part consistent when it throws.
/// Values a target cannot apply yet (the part it drives is not running) are picked up when it starts, because the
/// settings it starts from already hold them.
/// </summary>
internal interface ILiveTuningTarget
{
    string Name { get; }

    ValueTask ApplyAsync(TunedValues previous, TunedValues next, CancellationToken ct);
}
