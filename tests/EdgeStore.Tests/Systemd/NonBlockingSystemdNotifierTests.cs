using System.Net.Sockets;
using EdgeStore.Systemd;
using Microsoft.Extensions.Hosting.Systemd;
using Microsoft.Extensions.Logging.Abstractions;

namespace EdgeStore.Tests.Systemd;

/// <summary>The queue in front of the package's transport: callers never block and never see the transport's exceptions.</summary>
public sealed class NonBlockingSystemdNotifierTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private static NonBlockingSystemdNotifier Wrap(ISystemdNotifier transport) =>
        new(transport, NullLogger<NonBlockingSystemdNotifier>.Instance);

    [Fact]
    public async Task States_reach_the_transport_in_the_order_given()
    {
        var transport = new RecordingSystemdNotifier();
        await using var notifier = Wrap(transport);

        notifier.Notify(ServiceState.Ready);
        notifier.Notify(new ServiceState("STATUS=running"));
        notifier.Notify(SystemdNotifyMessage.Watchdog);
        notifier.Notify(ServiceState.Stopping);

        Assert.Equal("READY=1", await transport.ReceiveAsync(Timeout));
        Assert.Equal("STATUS=running", await transport.ReceiveAsync(Timeout));
        Assert.Equal("WATCHDOG=1", await transport.ReceiveAsync(Timeout));
        Assert.Equal("STOPPING=1", await transport.ReceiveAsync(Timeout));
    }

    [Fact]
    public async Task A_throwing_transport_never_reaches_the_caller_and_later_states_still_go_out()
    {
        var transport = new FlakyTransport { FailuresLeft = 3 };
        await using var notifier = Wrap(transport);

        for (var i = 0; i < 3; i++)
        {
            notifier.Notify(SystemdNotifyMessage.Watchdog);
        }

        notifier.Notify(ServiceState.Ready);

        Assert.Equal("READY=1", await transport.ReceiveAsync(Timeout));
        Assert.Equal(0, transport.FailuresLeft);
    }

    [Fact]
    public async Task A_blocked_transport_blocks_no_caller_holds_a_bounded_queue_and_delivers_it_when_it_unblocks()
    {
        var transport = new RecordingSystemdNotifier();
        var gate = new BlockingTransport(transport);
        await using var notifier = Wrap(gate);

        notifier.Notify(new ServiceState("STATUS=first"));
        await gate.Blocked.WaitAsync(Timeout);

        // The sender is stuck inside the transport: the caller still returns at once, and past the capacity states are dropped.
        var calls = Task.Run(() =>
        {
            for (var i = 0; i < NonBlockingSystemdNotifier.Capacity + 10; i++)
            {
                notifier.Notify(new ServiceState("STATUS=" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            }
        });
        await calls.WaitAsync(Timeout);
        Assert.Equal(10, notifier.Dropped);

        gate.Release();
        Assert.Equal("STATUS=first", await transport.ReceiveAsync(Timeout));
        for (var i = 0; i < NonBlockingSystemdNotifier.Capacity; i++)
        {
            Assert.Equal("STATUS=" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), await transport.ReceiveAsync(Timeout));
        }
    }

    [Fact]
    public async Task Disposal_delivers_what_is_queued()
    {
        var transport = new RecordingSystemdNotifier();
        var notifier = Wrap(transport);
        notifier.Notify(ServiceState.Stopping);
        notifier.Notify(new ServiceState("STATUS=stopped"));

        await notifier.DisposeAsync();
        notifier.Notify(SystemdNotifyMessage.Watchdog);

        Assert.Equal(["STOPPING=1", "STATUS=stopped"], transport.Drain());
    }

    [Fact]
    public async Task Without_a_notify_socket_nothing_is_queued()
    {
        var transport = new DisabledTransport();
        await using var notifier = Wrap(transport);

        Assert.False(notifier.IsEnabled);
        notifier.Notify(ServiceState.Ready);
        Assert.Equal(0, transport.Calls);
    }

    /// <summary>Fails like a vanished manager socket, then works.</summary>
    private sealed class FlakyTransport : SystemdNotifications, ISystemdNotifier
    {
        private readonly RecordingSystemdNotifier _delivered = new();

        public int FailuresLeft { get; set; }

        public bool IsEnabled => true;

        public void Notify(ServiceState state)
        {
            if (FailuresLeft > 0)
            {
                FailuresLeft--;
                throw new SocketException((int)SocketError.ConnectionRefused);
            }

            _delivered.Notify(state);
        }

        public override Task<string> ReceiveAsync(TimeSpan timeout) => _delivered.ReceiveAsync(timeout);

        public override List<string> Drain() => _delivered.Drain();
    }

    /// <summary>Blocks inside its first send, as a send to a manager whose socket queue is full does, until released.</summary>
    private sealed class BlockingTransport(ISystemdNotifier inner) : ISystemdNotifier
    {
        private readonly TaskCompletionSource _blocked = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly ManualResetEventSlim _release = new();

        public Task Blocked => _blocked.Task;

        public bool IsEnabled => true;

        public void Notify(ServiceState state)
        {
            _blocked.TrySetResult();
            _release.Wait();
            inner.Notify(state);
        }

        public void Release() => _release.Set();
    }

    private sealed class DisabledTransport : ISystemdNotifier
    {
        public int Calls { get; private set; }

        public bool IsEnabled => false;

        public void Notify(ServiceState state) => Calls++;
    }
}
