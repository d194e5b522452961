using System.Net.Sockets;
using System.Text;

namespace EdgeStore.Systemd;

/// <summary>
/// sd_notify over the Unix datagram socket named by NOTIFY_SOCKET. A name starting with '@' lives in the
/// abstract namespace, which the kernel spells with a leading NUL byte. The socket is created on first use
/// and kept, because the watchdog and status lines are sent for the whole life of the daemon.
/// </summary>
internal sealed class SystemdNotifier : ISystemdNotifier, IDisposable
{
    private readonly UnixDomainSocketEndPoint? _endPoint;
    private readonly Lock _sendLock = new();
    private Socket? _socket;

    public SystemdNotifier()
        : this(Environment.GetEnvironmentVariable(SystemdEnvironment.NotifySocketVariable))
    {
    }

    /// <summary>For testing, and for callers that already read the environment: the socket path, or '@name'.</summary>
    internal SystemdNotifier(string? socketPath)
    {
        if (!string.IsNullOrEmpty(socketPath))
        {
            _endPoint = new UnixDomainSocketEndPoint(socketPath[0] == '@' ? "\0" + socketPath[1..] : socketPath);
        }
    }

    public bool IsEnabled => _endPoint is not null;

    public bool Notify(string state)
    {
        if (_endPoint is null)
        {
            return false;
        }

        var datagram = Encoding.UTF8.GetBytes(state);
        lock (_sendLock)
        {
            try
            {
                // Non-blocking: if the manager stops draining its queue, a timer thread must not hang here
                // holding the watchdog or status lock; the datagram is dropped and reported as not sent.
                _socket ??= new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified) { Blocking = false };
                _socket.SendTo(datagram, SocketFlags.None, _endPoint);
                return true;
            }
            catch (SocketException)
            {
                // The manager went away, is restarting (daemon-reexec) or its queue is full; a fresh socket is made next time.
                _socket?.Dispose();
                _socket = null;
                return false;
            }
        }
    }

    public void Dispose()
    {
        lock (_sendLock)
        {
            _socket?.Dispose();
            _socket = null;
        }
    }
}
