using EdgeStore.RemoteTuning;

namespace EdgeStore.Tests.RemoteTuning;

/// <summary>A live target that records what it was given, and can be told to refuse.</summary>
internal sealed class RecordingTarget(string name) : ILiveTuningTarget
{
    public List<TunedValues> Applied { get; } = [];

    public Func<TunedValues, bool>? Refuse { get; set; }

    public TunedValues? Current => Applied.Count == 0 ? null : Applied[^1];

    public string Name => name;

    public ValueTask ApplyAsync(TunedValues previous, TunedValues next, CancellationToken ct)
    {
        if (Refuse?.Invoke(next) == true)
        {
            throw new InvalidOperationException($"{name} refuses");
        }

        Applied.Add(next);
        return ValueTask.CompletedTask;
    }
}
