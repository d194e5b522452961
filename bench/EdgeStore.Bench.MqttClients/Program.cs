using System.Globalization;
using EdgeStore.Bench.MqttClients;
using EdgeStore.Mqtt;

// Compares EdgeStore.Mqtt with MQTTnet 5.2 as a subscriber (docs/DEPENDENCIES.md, "Which MQTT client where"). Every
// run starts its own mosquitto on a free 127.0.0.1 port; the clients under test run in child processes of this
// program, so their memory and CPU figures are their own.
if (args.Length > 0 && args[0] == "subscriber")
{
    string Arg(string name) => args[Array.IndexOf(args, name) + 1];
    return await SubscriberRole.RunAsync(
        Arg("--client"),
        int.Parse(Arg("--port"), CultureInfo.InvariantCulture),
        (MqttQualityOfService)int.Parse(Arg("--qos"), CultureInfo.InvariantCulture),
        long.Parse(Arg("--warmup"), CultureInfo.InvariantCulture),
        long.Parse(Arg("--count"), CultureInfo.InvariantCulture),
        Arg("--hold") == "true",
        TimeSpan.FromSeconds(int.Parse(Arg("--time-limit-seconds"), CultureInfo.InvariantCulture)));
}

var options = BenchOptions.Parse(args);
if (options is null)
{
    Console.Error.WriteLine(BenchOptions.Usage);
    return 2;
}

Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
    $"{options.Count:N0} messages of {options.PayloadBytes} bytes per run, publisher QoS 1 with up to 2000 in flight, at most {options.TimeLimit.TotalSeconds:F0} s per step, {Environment.ProcessorCount} CPUs, load average {File.ReadAllText("/proc/loadavg").Trim()}"));
MqttQualityOfService[] levels = [MqttQualityOfService.AtMostOnce, MqttQualityOfService.AtLeastOnce];
foreach (var run in options.Runs)
{
    switch (run)
    {
        case "flood":
            Console.WriteLine("1. Handler held while the publisher floods (memory of the subscriber's process):");
            foreach (var qos in levels)
            {
                foreach (var client in new[] { "edgestore", "mqttnet" })
                {
                    await FloodRun.RunAsync(client, qos, options);
                }
            }

            break;
        case "lateack":
            Console.WriteLine("2. Held acknowledgements sent after a reconnect, then a crash before the newer messages are stored:");
            foreach (var restartBroker in new[] { false, true })
            {
                foreach (var client in new[] { "mqttnet", "edgestore" })
                {
                    await LateAckRun.RunAsync(client, restartBroker);
                }
            }

            break;
        case "cpu":
            Console.WriteLine("3. CPU per received message, both clients and mosquitto_sub subscribed in the same run:");
            foreach (var qos in levels)
            {
                await CpuRun.RunAsync(qos, options);
            }

            break;
        case "ceiling":
            Console.WriteLine("4. Broker delivery ceiling: mosquitto_sub alone:");
            foreach (var qos in levels)
            {
                await CpuRun.RunCeilingAsync(qos, options);
            }

            break;
        default:
            Console.Error.WriteLine(BenchOptions.Usage);
            return 2;
    }
}

Console.WriteLine($"load average at the end {File.ReadAllText("/proc/loadavg").Trim()}");
return 0;
