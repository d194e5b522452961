using System.Diagnostics;
using System.Globalization;
using EdgeStore.Mqtt;
using EdgeStore.Testing;

namespace EdgeStore.Bench.MqttClients;

/// <summary>
/// mosquitto_sub (the C client shipped with the broker) as a reference subscriber. Its output lines (one per
/// message) are counted here in bulk; once the expected count arrived its CPU time is read from /proc and it is
/// killed by its own PID.
/// </summary>
internal sealed class NativeSubscriber : IDisposable
{
    private const string ClientId = "bench-native";
    private readonly Process _process;
    private readonly MosquittoBroker _broker;
    private readonly long _expected;
    private readonly TaskCompletionSource<TimeSpan> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _received;
    private Stopwatch _clock = new();

    private NativeSubscriber(Process process, MosquittoBroker broker, long expected)
    {
        _process = process;
        _broker = broker;
        _expected = expected;
        _ = Task.Run(CountLinesAsync);
    }

    public static NativeSubscriber Start(MosquittoBroker broker, MqttQualityOfService qos, long expected)
    {
        var info = new ProcessStartInfo("mosquitto_sub",
        [
            "-h", "127.0.0.1", "-p", broker.Port.ToString(CultureInfo.InvariantCulture), "-V", "mqttv5", "-i", ClientId,
            "-q", ((int)qos).ToString(CultureInfo.InvariantCulture), "-t", SubscriberClient.Filter,
        ])
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
        };
        return new NativeSubscriber(Process.Start(info) ?? throw new InvalidOperationException("mosquitto_sub did not start"), broker, expected);
    }

    /// <summary>Waits for the broker's "New client connected ... as bench-native" line, then a moment for the
    /// SUBSCRIBE that follows on the same connection.</summary>
    public async Task WaitSubscribedAsync(TimeSpan timeout)
    {
        await Wait.UntilAsync(() => _broker.ReadLog().Contains("as " + ClientId, StringComparison.Ordinal), timeout, "mosquitto_sub connected");
        await Task.Delay(500);
        _clock = Stopwatch.StartNew();
    }

    /// <summary>Received count, seconds since <see cref="WaitSubscribedAsync"/> returned, and CPU seconds.</summary>
    public async Task<(long Received, double Seconds, double CpuSeconds)> WaitDoneAsync(TimeSpan timeout)
    {
        var cpu = TimeSpan.Zero;
        try
        {
            cpu = await _done.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            // Report what arrived.
        }

        return (Interlocked.Read(ref _received), _clock.Elapsed.TotalSeconds, cpu.TotalSeconds);
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            _process.WaitForExit(5_000);
        }

        _process.Dispose();
    }

    private async Task CountLinesAsync()
    {
        var buffer = new byte[256 * 1024];
        var stream = _process.StandardOutput.BaseStream;
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0)
        {
            var lines = buffer.AsSpan(0, read).Count((byte)'\n');
            if (Interlocked.Add(ref _received, lines) >= _expected && !_done.Task.IsCompleted)
            {
                _clock.Stop();
                _done.TrySetResult(_process.TotalProcessorTime);
            }
        }
    }
}
