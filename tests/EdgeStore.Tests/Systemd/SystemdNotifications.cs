namespace EdgeStore.Tests.Systemd;

/// <summary>
/// What a test reads of the sd_notify conversation, one state string per notification, however it was carried:
/// a real notify socket (<see cref="NotifySocketListener"/>) or a recording notifier (<see cref="RecordingSystemdNotifier"/>).
/// </summary>
internal abstract class SystemdNotifications
{
    /// <summary>Waits for the next notification; fails the test when none arrives within <paramref name="timeout"/>.</summary>
    public abstract Task<string> ReceiveAsync(TimeSpan timeout);

    /// <summary>Every notification already there, without waiting.</summary>
    public abstract List<string> Drain();

    /// <summary>Waits until a notification equal to <paramref name="expected"/> arrives; returns every one read before it.</summary>
    public async Task<List<string>> ReceiveUntilAsync(string expected, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var before = new List<string>();
        for (var i = 0; i < 1000; i++)
        {
            var remaining = deadline - DateTime.UtcNow;
            if (remaining <= TimeSpan.Zero)
            {
                break;
            }

            var notification = await ReceiveAsync(remaining);
            if (notification == expected)
            {
                return before;
            }

            before.Add(notification);
        }

        throw new TimeoutException($"'{expected}' not received within {timeout}; got [{string.Join(" | ", before)}].");
    }
}
