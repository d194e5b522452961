using System.Diagnostics;

namespace EdgeStore.Mqtt.Tests.Client;

/// <summary>Polls a condition until it holds or a generous deadline passes (for state with no event to await).</summary>
internal static class Eventually
{
    public static async Task HoldsAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var limit = timeout ?? Inbox.Patience;
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > limit)
            {
                throw new TimeoutException($"{what} did not happen within {limit.TotalSeconds} s");
            }

            await Task.Delay(20);
        }
    }
}
