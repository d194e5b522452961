using System.Diagnostics;

namespace EdgeStore.Testing;

/// <summary>
/// The one way a test waits for something with no event to await: poll a condition in real time until it holds,
/// or fail with a <see cref="TimeoutException"/> that names what was awaited and the last value observed.
/// Never a fixed sleep: a slow machine only makes the wait longer, never the test wrong. Timeouts are generous
/// bounds, not speed assertions.
/// </summary>
public static class Wait
{
    /// <summary>How often a condition is looked at.</summary>
    public static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(25);

    /// <summary>Waits until <paramref name="condition"/> holds.</summary>
    public static Task UntilAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        ArgumentNullException.ThrowIfNull(condition);
        return ForAsync(condition, held => held, timeout, what);
    }

    /// <summary>Waits until the asynchronous <paramref name="condition"/> holds.</summary>
    public static Task UntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        ArgumentNullException.ThrowIfNull(condition);
        return ForAsync(condition, held => held, timeout, what);
    }

    /// <summary>Waits, blocking the calling thread, until <paramref name="condition"/> holds (for constructors and fixtures).</summary>
    public static void Until(Func<bool> condition, TimeSpan timeout, string what)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"{what}: not reached within {timeout.TotalSeconds:0.#} s; last observed: false (the condition did not hold)");
            }

            Thread.Sleep(PollInterval);
        }
    }

    /// <summary>
    /// Observes a value until <paramref name="done"/> accepts it and returns that value; on timeout the exception
    /// names <paramref name="what"/> and shows the last observed value.
    /// </summary>
    public static Task<T> ForAsync<T>(Func<T> observe, Func<T, bool> done, TimeSpan timeout, string what)
    {
        ArgumentNullException.ThrowIfNull(observe);
        return ForAsync(() => Task.FromResult(observe()), done, timeout, what);
    }

    /// <summary>The asynchronous form of <see cref="ForAsync{T}(Func{T}, Func{T, bool}, TimeSpan, string)"/>.</summary>
    public static async Task<T> ForAsync<T>(Func<Task<T>> observe, Func<T, bool> done, TimeSpan timeout, string what)
    {
        ArgumentNullException.ThrowIfNull(observe);
        ArgumentNullException.ThrowIfNull(done);
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var value = await observe().ConfigureAwait(false);
            if (done(value))
            {
                return value;
            }

            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"{what}: not reached within {timeout.TotalSeconds:0.#} s; last observed: {Describe(value)}");
            }

            await Task.Delay(PollInterval).ConfigureAwait(false);
        }
    }

    private static string Describe<T>(T value) => value switch
    {
        null => "null",
        bool held => held ? "true" : "false (the condition did not hold)",
        string text => text.Length > 4000 ? "\"" + text[..4000] + "\"..." : "\"" + text + "\"",
        System.Collections.IEnumerable items => "[" + string.Join(", ", items.Cast<object?>().Take(50)) + "]",
        _ => value.ToString() ?? "null",
    };
}
