using EdgeStore.Systemd;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace EdgeStore.Tests.Systemd;

public sealed class SystemdLoggingTests
{
    private static IHost Build(params (string Name, string Value)[] variables)
    {
        var map = variables.ToDictionary(v => v.Name, v => v.Value);
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        // The daemon's own wiring chooses the simple console first; journald detection must still win.
        builder.Logging.AddSimpleConsole();
        builder.AddSystemdIntegration(new SystemdEnvironment(name => map.GetValueOrDefault(name), Environment.ProcessId));
        return builder.Build();
    }

    private static string Format(IHost host, LogLevel level, string message)
    {
        var options = host.Services.GetRequiredService<IOptionsMonitor<ConsoleLoggerOptions>>().CurrentValue;
        var formatter = host.Services.GetServices<ConsoleFormatter>().Single(f => f.Name == options.FormatterName);
        using var writer = new StringWriter();
        var entry = new LogEntry<string>(level, "EdgeStore.Ingest", new EventId(7), message, null, (s, _) => s);
        formatter.Write(in entry, null, writer);
        return writer.ToString();
    }

    [Theory]
    [InlineData("JOURNAL_STREAM", "8:31337")]
    [InlineData("INVOCATION_ID", "6a1d2c0b9e8f4a7b8c5d3e2f1a0b9c8d")]
    [InlineData("NOTIFY_SOCKET", "/run/systemd/notify")]
    public void Under_journald_lines_carry_a_syslog_priority_and_stay_on_one_line(string name, string value)
    {
        using var host = Build((name, value));

        Assert.Equal(ConsoleFormatterNames.Systemd,
            host.Services.GetRequiredService<IOptionsMonitor<ConsoleLoggerOptions>>().CurrentValue.FormatterName);

        var info = Format(host, LogLevel.Information, "Subscribed to sensors/# (session present: True)");
        Assert.StartsWith("<6>", info, StringComparison.Ordinal);
        Assert.Contains("Subscribed to sensors/# (session present: True)", info, StringComparison.Ordinal);
        Assert.Equal(1, info.Count(c => c == '\n'));
        Assert.DoesNotContain('\u001b', info);

        Assert.StartsWith("<3>", Format(host, LogLevel.Error, "disk full"), StringComparison.Ordinal);
        Assert.StartsWith("<4>", Format(host, LogLevel.Warning, "broker gone"), StringComparison.Ordinal);
        Assert.Equal(1, Format(host, LogLevel.Warning, "line one\nline two").Count(c => c == '\n'));
    }

    [Fact]
    public void Outside_systemd_the_simple_console_format_stays()
    {
        using var host = Build(("TERM", "xterm"));

        Assert.Equal(ConsoleFormatterNames.Simple,
            host.Services.GetRequiredService<IOptionsMonitor<ConsoleLoggerOptions>>().CurrentValue.FormatterName);
        Assert.StartsWith("info: EdgeStore.Ingest[7]", Format(host, LogLevel.Information, "hello"), StringComparison.Ordinal);
    }
}
