using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using EdgeStore.Configuration;
using EdgeStore.Mqtt;
using EdgeStore.Query;
using EdgeStore.Simulation;
using Microsoft.Extensions.Logging;

namespace EdgeStore.Commands;

/// <summary>
/// `edgestore simulate`: publishes realistic telemetry from many devices, for demos, tests and benchmarks.
/// Prints `published N messages in S s (R msg/s)` and exits 0.
/// </summary>
internal static class SimulateCommand
{
    private const int MaxInFlight = 1000;
    private static readonly TimeSpan DefaultDuration = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ConnectWait = TimeSpan.FromSeconds(15);

    public static Command Create()
    {
        var host = new Option<string>("--host") { Description = "Broker host.", HelpName = "HOST", DefaultValueFactory = _ => "127.0.0.1" };
        var port = new Option<int>("--port") { Description = "Broker port.", HelpName = "PORT", DefaultValueFactory = _ => 1883 };
        var devices = new Option<int>("--devices") { Description = "Number of devices (dev-0001, dev-0002, ...).", HelpName = "N", DefaultValueFactory = _ => 50 };
        var rate = new Option<double>("--rate") { Description = "Messages per second across all devices; 0 = as fast as the broker accepts.", HelpName = "PER_SECOND", DefaultValueFactory = _ => 1000 };
        var duration = new Option<string?>("--duration") { Description = "Stop after this long (30s, 5m). Default 30s, or no time limit when --count is given.", HelpName = "DURATION" };
        var count = new Option<long?>("--count") { Description = "Stop after this many messages in all.", HelpName = "N" };
        var qos = new Option<int>("--qos") { Description = "QoS of the publishes (0, 1 or 2).", HelpName = "0|1|2", DefaultValueFactory = _ => 1 };
        var prefix = new Option<string>("--topic-prefix") { Description = "Topics are PREFIX/<device>/telemetry.", DefaultValueFactory = _ => "sensors", HelpName = "PREFIX" };
        var malformed = new Option<int>("--malformed-every") { Description = "Make every Nth message broken JSON (0 = never).", DefaultValueFactory = _ => 0, HelpName = "N" };

        var command = new Command("simulate", "Publish simulated sensor telemetry.") { host, port, devices, rate, duration, count, qos, prefix, malformed };
        command.SetAction(async (parseResult, cancellationToken) =>
        {
            TimeSpan? limit = parseResult.GetValue(count) is null ? DefaultDuration : null;
            var durationText = parseResult.GetValue(duration);
            if (durationText is not null)
            {
                if (!DurationText.TryParse(durationText, out var parsed, allowBareSeconds: true) || parsed <= TimeSpan.Zero)
                {
                    return Usage($"--duration: expected a duration such as 30s or 5m (got '{durationText}')");
                }

                limit = parsed;
            }

            var plan = new SimulationPlan(
                parseResult.GetValue(devices),
                parseResult.GetValue(rate),
                limit,
                parseResult.GetValue(count),
                (MqttQualityOfService)parseResult.GetValue(qos),
                parseResult.GetValue(prefix)!.TrimEnd('/'),
                parseResult.GetValue(malformed),
                MaxInFlight);
            var problem = Validate(plan, parseResult.GetValue(port), parseResult.GetValue(qos));
            return problem is not null
                ? Usage(problem)
                : await RunAsync(parseResult.GetValue(host)!, parseResult.GetValue(port), plan, cancellationToken);
        });
        return command;
    }

    private static string? Validate(SimulationPlan plan, int port, int qos) =>
        port is < 1 or > 65535 ? $"--port: must be 1..65535 (got {port})"
        : plan.Devices is < 1 or > 9999 ? $"--devices: must be 1..9999 (got {plan.Devices})"
        : plan.MessagesPerSecond < 0 || double.IsNaN(plan.MessagesPerSecond) ? $"--rate: must be 0 or more (got {plan.MessagesPerSecond})"
        : plan.Count is < 1 ? $"--count: must be at least 1 (got {plan.Count})"
        : qos is not (0 or 1 or 2) ? $"--qos: must be 0, 1 or 2 (got {qos})"
        : plan.MalformedEvery < 0 ? $"--malformed-every: must be 0 or more (got {plan.MalformedEvery})"
        : !MqttTopicFilter.IsValidTopicName(plan.TopicPrefix + "/x") ? $"--topic-prefix: not usable in a topic name (got '{plan.TopicPrefix}')"
        : null;

    private static async Task<int> RunAsync(string host, int port, SimulationPlan plan, CancellationToken cancellationToken)
    {
        using var loggerFactory = LoggerFactory.Create(logging => RunCommand.ConfigureLogging(logging, new Configuration.LoggingSettings { Level = "Warning" }));
        using var interrupted = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Interrupt);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Interrupt);

        var options = new MqttClientOptions
        {
            Host = host,
            Port = port,
            ClientId = $"edgestore-simulate-{Environment.ProcessId}",
            CleanStart = true,
            SessionExpiryInterval = TimeSpan.Zero,
            ReconnectMinDelay = TimeSpan.FromMilliseconds(200),
            ReconnectMaxDelay = TimeSpan.FromSeconds(2),
        };
        await using var client = new MqttClient(options, loggerFactory.CreateLogger<MqttClient>(), TimeProvider.System);
        await client.StartAsync(interrupted.Token);
        using (var connect = CancellationTokenSource.CreateLinkedTokenSource(interrupted.Token))
        {
            connect.CancelAfter(ConnectWait);
            try
            {
                await client.WaitConnectedAsync(connect.Token);
            }
            catch (OperationCanceledException)
            {
                await Console.Error.WriteLineAsync($"edgestore: cannot connect to the broker at {host}:{port}");
                return ExitCodes.Failure;
            }
        }

        var simulator = new TelemetrySimulator(client, TimeProvider.System, loggerFactory.CreateLogger("EdgeStore.Simulate"));
        var result = await simulator.RunAsync(plan, interrupted.Token);
        try
        {
            await client.StopAsync(CancellationToken.None);
        }
        catch (MqttException)
        {
        }

        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"published {result.Published} messages in {result.Elapsed.TotalSeconds:F2} s ({result.MessagesPerSecond:F0} msg/s)"));
        if (result.Malformed > 0)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"malformed {result.Malformed} of them"));
        }

        if (result.Failed > 0)
        {
            await Console.Error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"edgestore: {result.Failed} messages could not be published"));
            return ExitCodes.Failure;
        }

        return ExitCodes.Ok;

        void Interrupt(PosixSignalContext context)
        {
            context.Cancel = true;
            interrupted.Cancel();
        }
    }

    private static int Usage(string message)
    {
        Console.Error.WriteLine($"edgestore: {message}");
        return ExitCodes.InvalidInput;
    }
}
