using EdgeStore.Systemd;

namespace EdgeStore.Tests.Systemd;

public sealed class SystemdEnvironmentTests
{
    private const int OwnPid = 4242;

    private static SystemdEnvironment From(params (string Name, string Value)[] variables)
    {
        var map = variables.ToDictionary(v => v.Name, v => v.Value);
        return new SystemdEnvironment(name => map.GetValueOrDefault(name), OwnPid);
    }

    [Fact]
    public void A_plain_shell_is_not_systemd()
    {
        var environment = From(("TERM", "xterm"));

        Assert.False(environment.IsServiceManaged);
        Assert.False(environment.IsJournalAttached);
        Assert.Null(environment.NotifySocket);
        Assert.Null(environment.WatchdogInterval);
    }

    [Theory]
    [InlineData("NOTIFY_SOCKET", "/run/systemd/notify")]
    [InlineData("INVOCATION_ID", "0f3c9ad5a8b54a0e9d7c2b1e4f6a8c01")]
    [InlineData("SYSTEMD_EXEC_PID", "4242")]
    public void Any_variable_systemd_sets_for_a_service_means_systemd(string name, string value)
    {
        var environment = From((name, value));

        Assert.True(environment.IsServiceManaged);
        Assert.True(environment.IsJournalAttached);
    }

    [Fact]
    public void Journal_stream_alone_selects_journal_logging_but_not_the_service_manager()
    {
        var environment = From(("JOURNAL_STREAM", "8:12345"));

        Assert.True(environment.IsJournalAttached);
        Assert.False(environment.IsServiceManaged);
    }

    [Fact]
    public void Empty_values_count_as_unset()
    {
        var environment = From(("NOTIFY_SOCKET", ""), ("INVOCATION_ID", ""), ("JOURNAL_STREAM", ""), ("WATCHDOG_USEC", ""));

        Assert.False(environment.IsServiceManaged);
        Assert.False(environment.IsJournalAttached);
        Assert.Null(environment.WatchdogInterval);
    }

    [Theory]
    [InlineData("30000000", null, 30_000)]
    [InlineData("30000000", "4242", 30_000)]
    [InlineData("1500", null, 1.5)]
    public void Watchdog_interval_comes_from_WATCHDOG_USEC(string usec, string? pid, double expectedMilliseconds)
    {
        var variables = new List<(string, string)> { ("WATCHDOG_USEC", usec) };
        if (pid is not null)
        {
            variables.Add(("WATCHDOG_PID", pid));
        }

        Assert.Equal(TimeSpan.FromMilliseconds(expectedMilliseconds), From([.. variables]).WatchdogInterval);
    }

    [Theory]
    [InlineData("30000000", "1")]
    [InlineData("30000000", "not-a-pid")]
    [InlineData("0", null)]
    [InlineData("-5", null)]
    [InlineData("soon", null)]
    [InlineData("18446744073709551615", null)]
    public void Watchdog_is_off_for_another_pid_or_a_useless_value(string usec, string? pid)
    {
        var variables = new List<(string, string)> { ("WATCHDOG_USEC", usec) };
        if (pid is not null)
        {
            variables.Add(("WATCHDOG_PID", pid));
        }

        Assert.Null(From([.. variables]).WatchdogInterval);
    }

    [Fact]
    public void Watchdog_cadence_is_half_the_interval_and_staleness_has_a_floor()
    {
        var thirty = new SystemdNotifyOptions { WatchdogInterval = TimeSpan.FromSeconds(30) };
        Assert.Equal(TimeSpan.FromSeconds(15), thirty.WatchdogFeedInterval);
        Assert.Equal(TimeSpan.FromSeconds(15), thirty.WatchdogStaleAfter);

        var two = new SystemdNotifyOptions { WatchdogInterval = TimeSpan.FromSeconds(2) };
        Assert.Equal(TimeSpan.FromSeconds(1), two.WatchdogFeedInterval);
        Assert.Equal(SystemdNotifyOptions.MinimumWatchdogStaleAfter, two.WatchdogStaleAfter);

        Assert.Null(new SystemdNotifyOptions().WatchdogFeedInterval);
    }
}
