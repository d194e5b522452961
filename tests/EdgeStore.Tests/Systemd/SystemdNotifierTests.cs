using EdgeStore.Systemd;

namespace EdgeStore.Tests.Systemd;

public sealed class SystemdNotifierTests
{
    private static readonly TimeSpan ReceiveTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Sends_the_state_as_one_datagram_to_a_socket_file()
    {
        using var listener = NotifySocketListener.InTempDirectory();
        using var notifier = new SystemdNotifier(listener.NotifySocket);

        Assert.True(notifier.IsEnabled);
        Assert.True(notifier.Notify("READY=1"));
        Assert.True(notifier.Notify("STATUS=ingesting\nWATCHDOG=1"));

        Assert.Equal("READY=1", await listener.ReceiveAsync(ReceiveTimeout));
        Assert.Equal("STATUS=ingesting\nWATCHDOG=1", await listener.ReceiveAsync(ReceiveTimeout));
    }

    [Fact]
    public async Task An_at_sign_names_a_socket_in_the_abstract_namespace()
    {
        using var listener = NotifySocketListener.Abstract();
        Assert.StartsWith("@", listener.NotifySocket, StringComparison.Ordinal);
        using var notifier = new SystemdNotifier(listener.NotifySocket);

        Assert.True(notifier.Notify("READY=1"));

        Assert.Equal("READY=1", await listener.ReceiveAsync(ReceiveTimeout));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void Without_a_notify_socket_nothing_is_sent(string? socketPath)
    {
        using var notifier = new SystemdNotifier(socketPath);

        Assert.False(notifier.IsEnabled);
        Assert.False(notifier.Notify("READY=1"));
    }

    [Fact]
    public async Task A_vanished_manager_socket_fails_the_send_quietly_and_a_new_one_is_used_later()
    {
        var directory = Path.Combine(Path.GetTempPath(), "edgestore-notify-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(directory);
        try
        {
            var path = Path.Combine(directory, "gone.sock");
            using var notifier = new SystemdNotifier(path);

            Assert.False(notifier.Notify("WATCHDOG=1"));

            using var socket = new System.Net.Sockets.Socket(
                System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Unspecified);
            socket.Bind(new System.Net.Sockets.UnixDomainSocketEndPoint(path));
            Assert.True(notifier.Notify("WATCHDOG=1"));
            var buffer = new byte[64];
            using var cts = new CancellationTokenSource(ReceiveTimeout);
            var received = await socket.ReceiveAsync(buffer, System.Net.Sockets.SocketFlags.None, cts.Token);
            Assert.Equal("WATCHDOG=1", System.Text.Encoding.UTF8.GetString(buffer, 0, received));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Message_formats_follow_sd_notify()
    {
        Assert.Equal("READY=1", SystemdNotifyMessage.Ready);
        Assert.Equal("STOPPING=1", SystemdNotifyMessage.Stopping);
        Assert.Equal("WATCHDOG=1", SystemdNotifyMessage.Watchdog);
        Assert.Equal("EXTEND_TIMEOUT_USEC=20000000", SystemdNotifyMessage.ExtendTimeout(TimeSpan.FromSeconds(20)));
        Assert.Equal("STATUS=a b c", SystemdNotifyMessage.Status("a\nb\r\nc".Replace("\r\n", "\n", StringComparison.Ordinal)));
    }
}
