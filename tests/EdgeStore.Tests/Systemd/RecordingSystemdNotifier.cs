using System.Threading.Channels;
using Microsoft.Extensions.Hosting.Systemd;

namespace EdgeStore.Tests.Systemd;

/// <summary>
/// Stands in for the package's notifier in a host under test: records every state synchronously on the caller's
/// thread, so what a timer sent has been recorded when the fake clock's Advance returns.
/// </summary>
internal sealed class RecordingSystemdNotifier : SystemdNotifications, ISystemdNotifier
{
    private readonly Channel<string> _states = Channel.CreateUnbounded<string>();

    public bool IsEnabled => true;

    public void Notify(ServiceState state) => _states.Writer.TryWrite(state.ToString());

    public override async Task<string> ReceiveAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            return await _states.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"No sd_notify state within {timeout}.");
        }
    }

    public override List<string> Drain()
    {
        var states = new List<string>();
        while (_states.Reader.TryRead(out var state))
        {
            states.Add(state);
        }

        return states;
    }
}
