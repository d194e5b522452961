using System.Diagnostics;
using System.Globalization;
using EdgeStore.Mqtt;
using EdgeStore.Testing;

namespace EdgeStore.Bench.MqttClients;

/// <summary>
/// Figure 3, CPU per received message: both clients subscribed at once to the same broker, each in its own process,
/// fed by one publisher, so they see the same messages at the same time on the same machine. Each measures its own
/// process CPU time (user + system) from the message after the warm-up to the last one. mosquitto_sub, the C client
/// that ships with the broker, is subscribed beside them as a reference.
/// </summary>
internal static class CpuRun
{
    public static async Task RunAsync(MqttQualityOfService qos, BenchOptions options)
    {
        using var broker = BenchBrokers.Start();
        var total = options.Warmup + options.Count;
        await using var edgestore = SubscriberProcess.Start("edgestore", broker.Port, qos, options.Warmup, options.Count, hold: false, options.TimeLimit);
        await using var mqttnet = SubscriberProcess.Start("mqttnet", broker.Port, qos, options.Warmup, options.Count, hold: false, options.TimeLimit);
        await edgestore.WaitForAsync("READY", TimeSpan.FromSeconds(30));
        await mqttnet.WaitForAsync("READY", TimeSpan.FromSeconds(30));
        using var reference = NativeSubscriber.Start(broker, qos, total);
        await reference.WaitSubscribedAsync(TimeSpan.FromSeconds(30));

        var brokerProcess = Process.GetProcessById(broker.ProcessId ?? throw new InvalidOperationException("the broker is not running"));
        var brokerCpuBefore = brokerProcess.TotalProcessorTime;
        using var deadline = new CancellationTokenSource(options.TimeLimit);
        var (published, publishSeconds) = await BenchPublisher.PublishAsync(broker.Port, total, options.PayloadBytes, deadline.Token);
        var results = new List<(string Name, Dictionary<string, double> Done)>
        {
            ("edgestore", await edgestore.WaitForAsync("DONE", options.TimeLimit + TimeSpan.FromSeconds(10))),
            ("mqttnet", await mqttnet.WaitForAsync("DONE", options.TimeLimit + TimeSpan.FromSeconds(10))),
        };
        var native = await reference.WaitDoneAsync(options.TimeLimit);
        brokerProcess.Refresh();
        var brokerCpu = (brokerProcess.TotalProcessorTime - brokerCpuBefore).TotalSeconds;

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  QoS {(int)qos}: published {published:N0} ({options.Warmup:N0} warm-up) in {publishSeconds:F1} s = {published / publishSeconds:N0} msg/s; broker CPU {brokerCpu:F2} s ({brokerCpu / published * 1e6:F1} us per message published, delivered to 3 subscribers)"));
        foreach (var (name, done) in results)
        {
            var measured = done["measured"];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"    {name,-14} received {done["received"],9:N0}; after warm-up {measured:N0} in {done["seconds"]:F2} s = {(done["seconds"] > 0 ? measured / done["seconds"] : 0),8:N0} msg/s, CPU {done["cpuSeconds"]:F2} s = {(measured > 0 ? done["cpuSeconds"] / measured * 1e6 : 0):F2} us/msg, peak RssAnon {done["peakRssAnonKiB"] / 1024:F1} MiB"));
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"    {"mosquitto_sub",-14} received {native.Received,9:N0} (all, no warm-up) by {native.Seconds:F2} s after the publisher started; CPU {native.CpuSeconds:F2} s = {(native.Received > 0 ? native.CpuSeconds / native.Received * 1e6 : 0):F2} us/msg"));
    }

    /// <summary>Ceiling: mosquitto_sub alone behind the same broker and publisher; how fast the broker delivers to a
    /// native client that does nothing with the messages.</summary>
    public static async Task RunCeilingAsync(MqttQualityOfService qos, BenchOptions options)
    {
        using var broker = BenchBrokers.Start();
        using var reference = NativeSubscriber.Start(broker, qos, options.Count);
        await reference.WaitSubscribedAsync(TimeSpan.FromSeconds(30));
        using var deadline = new CancellationTokenSource(options.TimeLimit);
        var (published, publishSeconds) = await BenchPublisher.PublishAsync(broker.Port, options.Count, options.PayloadBytes, deadline.Token);
        var native = await reference.WaitDoneAsync(options.TimeLimit);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  QoS {(int)qos}: mosquitto_sub alone received {native.Received:N0} of {published:N0} in {native.Seconds:F2} s from the publisher's start = {native.Received / native.Seconds:N0} msg/s (publisher {published / publishSeconds:N0} msg/s); its CPU {native.CpuSeconds / Math.Max(native.Received, 1) * 1e6:F2} us/msg"));
    }
}
