using System.Net.Sockets;
using System.Text;

namespace EdgeStore.Tests.Systemd;

/// <summary>
/// Plays systemd's side of sd_notify: a bound Unix datagram socket, either a file in a temp directory or
/// a name in the abstract namespace. <see cref="NotifySocket"/> is the value for NOTIFY_SOCKET.
/// </summary>
internal sealed class NotifySocketListener : SystemdNotifications, IDisposable
{
    private readonly Socket _socket = new(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
    private readonly string? _directory;

    private NotifySocketListener(string notifySocket, string bindPath, string? directory)
    {
        NotifySocket = notifySocket;
        _directory = directory;
        _socket.Bind(new UnixDomainSocketEndPoint(bindPath));
    }

    public string NotifySocket { get; }

    public static NotifySocketListener InTempDirectory()
    {
        var directory = Path.Combine(Path.GetTempPath(), "edgestore-notify-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, "notify.sock");
        return new NotifySocketListener(path, path, directory);
    }

    public static NotifySocketListener Abstract()
    {
        var name = "edgestore-test/notify-" + Guid.NewGuid().ToString("N");
        return new NotifySocketListener("@" + name, "\0" + name, null);
    }

    public override async Task<string> ReceiveAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var buffer = new byte[4096];
        try
        {
            var received = await _socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
            return Encoding.UTF8.GetString(buffer, 0, received);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"No sd_notify datagram within {timeout}.");
        }
    }

    public override List<string> Drain()
    {
        var datagrams = new List<string>();
        var buffer = new byte[4096];
        for (var i = 0; i < 10_000 && _socket.Available > 0; i++)
        {
            var received = _socket.Receive(buffer);
            datagrams.Add(Encoding.UTF8.GetString(buffer, 0, received));
        }

        return datagrams;
    }

    public void Dispose()
    {
        _socket.Dispose();
        if (_directory is not null)
        {
            Directory.Delete(_directory, recursive: true);
        }
    }
}
