using System.Net;
using System.Net.Sockets;
using System.Text;

namespace EdgeStore.Tests.Scripts;

/// <summary>A TCP listener on a free 127.0.0.1 port that accepts, optionally writes <c>reply</c>, and never speaks MQTT.</summary>
internal sealed class NotAnMqttBroker : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<TcpClient> _clients = [];
    private readonly Task _acceptLoop;
    private int _connections;

    private NotAnMqttBroker(TcpListener listener, byte[]? reply)
    {
        _listener = listener;
        _acceptLoop = AcceptAsync(reply);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    public int Connections => Volatile.Read(ref _connections);

    public static NotAnMqttBroker Start(string? reply)
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return new NotAnMqttBroker(listener, reply is null ? null : Encoding.ASCII.GetBytes(reply));
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        try
        {
            await _acceptLoop;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }

        foreach (var client in _clients)
        {
            client.Dispose();
        }

        _stop.Dispose();
    }

    private async Task AcceptAsync(byte[]? reply)
    {
        // Bounded by the test: DisposeAsync stops the listener, which ends the loop.
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptTcpClientAsync(_stop.Token);
            Interlocked.Increment(ref _connections);
            _clients.Add(client);
            if (reply is not null)
            {
                await client.GetStream().WriteAsync(reply, _stop.Token);
            }
        }
    }
}
