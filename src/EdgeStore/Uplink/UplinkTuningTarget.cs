using EdgeStore.RemoteTuning;

namespace EdgeStore.Uplink;

/// <summary>
/// Applies `uplink.enabled` and `uplink.maxMessagesPerSecond` live: the forwarding loop reads the rate at every row and
/// ends its connection (committing the cursor) when disabled. Enabling needs the broker named locally (Uplink:Host):
/// a desired document cannot point the gateway's data at a new place.
/// </summary>
internal sealed class UplinkTuningTarget(UplinkState? state) : ILiveTuningTarget
{
    public string Name => "uplink";

    public ValueTask ApplyAsync(TunedValues previous, TunedValues next, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(next);
        if (state is null)
        {
            return ValueTask.CompletedTask;
        }

        if (next.UplinkEnabled && state.Settings.Host is null)
        {
            throw new InvalidOperationException("Uplink:Host is not set in the local configuration, so the uplink cannot be enabled remotely");
        }

        state.MaxMessagesPerSecond = next.UplinkMaxMessagesPerSecond;
        state.Enabled = next.UplinkEnabled;
        return ValueTask.CompletedTask;
    }
}
