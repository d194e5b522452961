using System.Net;
using System.Net.Sockets;

namespace EdgeStore.Bench.MqttClients;

/// <summary>
/// A loopback TCP relay between a subscriber and the broker, so a run can cut the subscriber's connection the way a
/// network failure does (both sockets reset, no DISCONNECT) while the broker and its sessions stay up, and can refuse
/// new connections for a while.
/// </summary>
internal sealed class TcpRelay : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _brokerPort;
    private readonly Lock _gate = new();
    private readonly List<Socket> _open = [];
    private volatile bool _refusing;

    public TcpRelay(int brokerPort)
    {
        _brokerPort = brokerPort;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _ = Task.Run(AcceptLoopAsync);
    }

    public int Port { get; }

    /// <summary>Resets every relayed connection; with <paramref name="refuseNew"/>, new ones are closed at once until
    /// <see cref="Accept"/>.</summary>
    public void Cut(bool refuseNew)
    {
        _refusing = refuseNew;
        lock (_gate)
        {
            foreach (var socket in _open)
            {
                Reset(socket);
            }

            _open.Clear();
        }
    }

    public void Accept() => _refusing = false;

    public void Dispose()
    {
        Cut(refuseNew: true);
        _listener.Stop();
    }

    private static void Reset(Socket socket)
    {
        try
        {
            socket.LingerState = new LingerOption(true, 0);
            socket.Close();
        }
        catch (ObjectDisposedException)
        {
            // Already closed by its pump.
        }
    }

    private async Task AcceptLoopAsync()
    {
        while (true)
        {
            Socket downstream;
            try
            {
                downstream = await _listener.AcceptSocketAsync();
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }

            if (_refusing)
            {
                Reset(downstream);
                continue;
            }

            var upstream = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            downstream.NoDelay = true;
            try
            {
                await upstream.ConnectAsync(IPAddress.Loopback, _brokerPort);
            }
            catch (SocketException)
            {
                Reset(downstream);
                upstream.Dispose();
                continue;
            }

            lock (_gate)
            {
                _open.Add(downstream);
                _open.Add(upstream);
            }

            _ = PumpAsync(downstream, upstream);
            _ = PumpAsync(upstream, downstream);
        }
    }

    private async Task PumpAsync(Socket from, Socket to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            int read;
            while ((read = await from.ReceiveAsync(buffer)) > 0)
            {
                await to.SendAsync(buffer.AsMemory(0, read));
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Cut, or the other side went away.
        }

        lock (_gate)
        {
            _open.Remove(from);
            _open.Remove(to);
        }

        Reset(from);
        Reset(to);
    }
}
