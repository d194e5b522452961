using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using MQTTnet;
using MQTTnet.Formatter;
using MQTTnet.Protocol;

// The minimal MQTTnet 5.2 + Microsoft.Data.Sqlite subscriber of issue #12's comparison: subscribe, store every message in
// batched transactions (WAL, synchronous=NORMAL), acknowledge QoS 1 only after the commit. Nothing else: no decoding, no
// redelivery ledger, no memory governance, no reconnect. Prints "subscribed" once the SUBACK arrived and "stored N" at
// the end; stops on SIGTERM/SIGINT or after --time-limit-seconds.
var port = 1883;
var databasePath = "mqttnet-store.db";
var clientId = "bench-mqttnet-store";
var filter = "sensors/#";
var qos = MqttQualityOfServiceLevel.AtLeastOnce;
var batchRows = 2000;
var batchWait = TimeSpan.FromMilliseconds(20);
ushort receiveMaximum = 20_000;
var timeLimit = TimeSpan.FromSeconds(600);
for (var i = 0; i + 1 < args.Length; i += 2)
{
    var value = args[i + 1];
    switch (args[i])
    {
        case "--port": port = int.Parse(value, CultureInfo.InvariantCulture); break;
        case "--db": databasePath = value; break;
        case "--client-id": clientId = value; break;
        case "--filter": filter = value; break;
        case "--qos": qos = (MqttQualityOfServiceLevel)int.Parse(value, CultureInfo.InvariantCulture); break;
        case "--batch-rows": batchRows = int.Parse(value, CultureInfo.InvariantCulture); break;
        case "--batch-ms": batchWait = TimeSpan.FromMilliseconds(int.Parse(value, CultureInfo.InvariantCulture)); break;
        case "--receive-maximum": receiveMaximum = ushort.Parse(value, CultureInfo.InvariantCulture); break;
        case "--time-limit-seconds": timeLimit = TimeSpan.FromSeconds(int.Parse(value, CultureInfo.InvariantCulture)); break;
        default:
            Console.Error.WriteLine($"unknown argument {args[i]}");
            return 2;
    }
}

using var stop = new CancellationTokenSource(timeLimit);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);

using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = databasePath, Pooling = false }.ToString());
connection.Open();
using (var setup = connection.CreateCommand())
{
    setup.CommandText = """
        PRAGMA journal_mode=WAL;
        PRAGMA synchronous=NORMAL;
        CREATE TABLE IF NOT EXISTS messages (
            id INTEGER PRIMARY KEY,
            topic TEXT NOT NULL,
            received_at_ms INTEGER NOT NULL,
            qos INTEGER NOT NULL,
            retain INTEGER NOT NULL,
            payload BLOB NOT NULL);
        """;
    setup.ExecuteNonQuery();
}

// Bounded like EdgeStore's ingest queue (Ingest:QueueCapacity 20000): a full queue holds MQTTnet's handler.
var queue = Channel.CreateBounded<Received>(new BoundedChannelOptions(20_000) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
var factory = new MqttClientFactory();
using var client = factory.CreateMqttClient();
client.ApplicationMessageReceivedAsync += async e =>
{
    // Deferred acknowledgement: MQTTnet sends the PUBACK when AcknowledgeAsync is called, after the commit.
    e.AutoAcknowledge = false;
    var message = e.ApplicationMessage;
    await queue.Writer.WriteAsync(new Received(
        message.Topic, message.Payload.ToArray(), (int)message.QualityOfServiceLevel, message.Retain,
        DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), e), stop.Token);
};

var stored = 0L;
var writer = Task.Run(WriteAsync);
var options = new MqttClientOptionsBuilder()
    .WithTcpServer("127.0.0.1", port)
    .WithClientId(clientId)
    .WithProtocolVersion(MqttProtocolVersion.V500)
    .WithCleanStart(true)
    .WithReceiveMaximum(receiveMaximum)
    .Build();
try
{
    await client.ConnectAsync(options, stop.Token);
    await client.SubscribeAsync(factory.CreateSubscribeOptionsBuilder().WithTopicFilter(filter, qos).Build(), stop.Token);
    Console.WriteLine("subscribed");
    await Task.Delay(Timeout.Infinite, stop.Token);
}
catch (OperationCanceledException) when (stop.IsCancellationRequested)
{
    // SIGTERM or the time limit.
}

queue.Writer.TryComplete();
await writer;
try
{
    using var disconnect = new CancellationTokenSource(TimeSpan.FromSeconds(5));
    await client.DisconnectAsync(new MqttClientDisconnectOptions(), disconnect.Token);
}
catch (Exception e) when (e is MQTTnet.Exceptions.MqttCommunicationException or OperationCanceledException)
{
    // Already gone.
}

Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"stored {Interlocked.Read(ref stored)}"));
return 0;

void Stop(PosixSignalContext context)
{
    context.Cancel = true;
    stop.Cancel();
}

async Task WriteAsync()
{
    using var insert = connection.CreateCommand();
    insert.CommandText = "INSERT INTO messages (topic, received_at_ms, qos, retain, payload) VALUES ($topic, $received, $qos, $retain, $payload)";
    var topic = insert.Parameters.Add("$topic", SqliteType.Text);
    var received = insert.Parameters.Add("$received", SqliteType.Integer);
    var level = insert.Parameters.Add("$qos", SqliteType.Integer);
    var retain = insert.Parameters.Add("$retain", SqliteType.Integer);
    var payload = insert.Parameters.Add("$payload", SqliteType.Blob);
    var batch = new List<Received>(batchRows);
    var reader = queue.Reader;
    while (await reader.WaitToReadAsync(CancellationToken.None))
    {
        // A batch: whatever is queued, up to batchRows, waiting at most batchWait after its first message.
        var deadline = Stopwatch.GetTimestamp() + (long)(batchWait.TotalSeconds * Stopwatch.Frequency);
        while (batch.Count < batchRows)
        {
            if (reader.TryRead(out var item))
            {
                batch.Add(item);
                continue;
            }

            var left = deadline - Stopwatch.GetTimestamp();
            if (left <= 0)
            {
                break;
            }

            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(left / (double)Stopwatch.Frequency));
            try
            {
                if (!await reader.WaitToReadAsync(wait.Token))
                {
                    break;
                }
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        if (batch.Count == 0)
        {
            continue;
        }

        using (var transaction = connection.BeginTransaction())
        {
            insert.Transaction = transaction;
            foreach (var item in batch)
            {
                topic.Value = item.Topic;
                received.Value = item.ReceivedAtMs;
                level.Value = item.Qos;
                retain.Value = item.Retain ? 1 : 0;
                payload.Value = item.Payload;
                insert.ExecuteNonQuery();
            }

            transaction.Commit();
        }

        Interlocked.Add(ref stored, batch.Count);
        foreach (var item in batch)
        {
            if (item.Qos > 0)
            {
                try
                {
                    await item.Args.AcknowledgeAsync(CancellationToken.None);
                }
                catch (Exception e) when (e is MQTTnet.Exceptions.MqttCommunicationException or ObjectDisposedException or InvalidOperationException)
                {
                    // Disconnected: the broker redelivers what was not acknowledged.
                }
            }
        }

        batch.Clear();
    }
}

internal sealed record Received(string Topic, byte[] Payload, int Qos, bool Retain, long ReceivedAtMs, MqttApplicationMessageReceivedEventArgs Args);
