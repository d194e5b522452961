using System.Net;
using System.Net.Sockets;
using MQTTnet.Channel;

namespace EdgeStore.Uplink;

/// <summary>
/// The uplink's TCP stream: MQTTnet writes every packet with its own write, which is one send system call per
/// forwarded row; here writes are appended to a buffer and one sender sends whatever has gathered, so a burst of
/// publishes leaves in a few sends. A write returns once the bytes are buffered; a failed send fails every later write
/// and closes the socket, so MQTTnet sees the connection drop and the uplink sends again what was not acknowledged.
/// At most <see cref="MaxPendingBytes"/> wait: a writer beyond that waits for the sender. TLS (MQTTnet's SslStream)
/// sits on top of this stream.
/// </summary>
internal sealed class CoalescingSocketStream : Stream
{
    /// <summary>Bytes buffered at most before a writer waits for the sender.</summary>
    internal const int MaxPendingBytes = 1024 * 1024;

    private readonly Socket _socket;
    private readonly Lock _gate = new();
    private byte[] _pending = new byte[64 * 1024];
    private byte[] _sending = new byte[64 * 1024];
    private int _pendingLength;
    private Task _sender = Task.CompletedTask;
    private bool _senderRunning;
    private Exception? _failure;
    private int _disposed;

    private CoalescingSocketStream(Socket socket)
    {
        _socket = socket;
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public static async Task<Stream> ConnectAsync(EndPoint endPoint, CancellationToken ct)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(endPoint, ct).ConfigureAwait(false);
            return new CoalescingSocketStream(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            Task sender;
            lock (_gate)
            {
                if (_failure is { } failure)
                {
                    throw new IOException($"the connection failed: {failure.Message}", failure);
                }

                if (_pendingLength == 0 || _pendingLength + buffer.Length <= MaxPendingBytes)
                {
                    Append(buffer.Span);
                    if (!_senderRunning)
                    {
                        _senderRunning = true;
                        _sender = Task.Run(SendLoopAsync, CancellationToken.None);
                    }

                    return;
                }

                sender = _sender;
            }

            await sender.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        _socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => _socket.Receive(buffer, offset, count, SocketFlags.None);

    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            // What was written last (a DISCONNECT) gets a moment to leave, then the socket closes.
            Task sender;
            lock (_gate)
            {
                sender = _sender;
            }

            try
            {
                sender.Wait(TimeSpan.FromSeconds(1));
            }
            catch (AggregateException)
            {
                // The sender recorded its failure; the socket closes either way.
            }

            _socket.Dispose();
        }

        base.Dispose(disposing);
    }

    private void Append(ReadOnlySpan<byte> data)
    {
        if (_pendingLength + data.Length > _pending.Length)
        {
            Array.Resize(ref _pending, Math.Max(_pending.Length * 2, _pendingLength + data.Length));
        }

        data.CopyTo(_pending.AsSpan(_pendingLength));
        _pendingLength += data.Length;
    }

    private async Task SendLoopAsync()
    {
        while (true)
        {
            int length;
            lock (_gate)
            {
                if (_pendingLength == 0)
                {
                    _senderRunning = false;
                    return;
                }

                (_sending, _pending) = (_pending, _sending);
                length = _pendingLength;
                _pendingLength = 0;
            }

            try
            {
                for (var sent = 0; sent < length;)
                {
                    sent += await _socket.SendAsync(_sending.AsMemory(sent, length - sent), SocketFlags.None).ConfigureAwait(false);
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                lock (_gate)
                {
                    _failure = e;
                    _pendingLength = 0;
                    _senderRunning = false;
                }

                try
                {
                    _socket.Shutdown(SocketShutdown.Both);
                }
                catch (Exception shutdown) when (shutdown is SocketException or ObjectDisposedException)
                {
                    // Already closed.
                }

                return;
            }
        }
    }

    /// <summary>Hands MQTTnet a <see cref="CoalescingSocketStream"/> for each TCP connection.</summary>
    internal sealed class Provider : IMqttClientStreamProvider
    {
        public Task<Stream> ConnectAsync(EndPoint brokerEndPoint, CancellationToken cancellationToken) =>
            CoalescingSocketStream.ConnectAsync(brokerEndPoint, cancellationToken);
    }
}
