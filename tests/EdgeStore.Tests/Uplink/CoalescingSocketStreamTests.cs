using System.Net;
using System.Net.Sockets;
using EdgeStore.Uplink;

namespace EdgeStore.Tests.Uplink;

/// <summary>The uplink's coalescing TCP stream over a real loopback connection: order, completeness, failure.</summary>
public sealed class CoalescingSocketStreamTests
{
    [Fact]
    public async Task Many_small_writes_arrive_complete_and_in_order()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var accepting = listener.AcceptSocketAsync();
        await using var stream = await CoalescingSocketStream.ConnectAsync(listener.LocalEndpoint, CancellationToken.None);
        using var peer = await accepting;

        const int writes = 20_000;
        var expected = new byte[writes * 4];
        for (var i = 0; i < writes; i++)
        {
            BitConverter.TryWriteBytes(expected.AsSpan(i * 4), i);
        }

        var reading = Task.Run(async () =>
        {
            var received = new byte[expected.Length];
            for (var offset = 0; offset < received.Length;)
            {
                var n = await peer.ReceiveAsync(received.AsMemory(offset), SocketFlags.None);
                Assert.True(n > 0, $"the connection closed after {offset} of {received.Length} bytes");
                offset += n;
            }

            return received;
        });
        for (var i = 0; i < writes; i++)
        {
            await stream.WriteAsync(expected.AsMemory(i * 4, 4));
        }

        Assert.Equal(expected, await reading.WaitAsync(TimeSpan.FromSeconds(30)));

        // Reads pass straight through.
        await peer.SendAsync("puback"u8.ToArray(), SocketFlags.None);
        var reply = new byte[6];
        Assert.Equal(6, await stream.ReadAsync(reply).AsTask().WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal("puback"u8.ToArray(), reply);
    }

    [Fact]
    public async Task After_the_peer_is_gone_writes_fail_instead_of_buffering_forever()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var accepting = listener.AcceptSocketAsync();
        await using var stream = await CoalescingSocketStream.ConnectAsync(listener.LocalEndpoint, CancellationToken.None);
        var peer = await accepting;
        peer.LingerState = new LingerOption(true, 0);
        peer.Close();

        var chunk = new byte[16 * 1024];
        var failed = await Record.ExceptionAsync(async () =>
        {
            // Bounded: 4,000 writes of 16 KiB is 64 MiB, far beyond the 1 MiB the stream buffers.
            for (var i = 0; i < 4_000; i++)
            {
                await stream.WriteAsync(chunk);
            }
        });

        Assert.IsType<IOException>(failed);
        Assert.Contains("the connection failed", failed.Message, StringComparison.Ordinal);
    }
}
