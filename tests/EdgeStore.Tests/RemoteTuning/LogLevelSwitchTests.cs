using EdgeStore.RemoteTuning;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeStore.Tests.RemoteTuning;

public sealed class LogLevelSwitchTests
{
    [Fact]
    public void A_new_level_applies_to_loggers_that_already_exist()
    {
        var levelSwitch = new LogLevelSwitch(LogLevel.Information);
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.AddSimpleConsole().SetMinimumLevel(LogLevel.Warning));
        services.AddSingleton<IConfigureOptions<LoggerFilterOptions>>(levelSwitch);
        services.AddSingleton<IOptionsChangeTokenSource<LoggerFilterOptions>>(levelSwitch);
        using var provider = services.BuildServiceProvider();
        var logger = provider.GetRequiredService<ILoggerFactory>().CreateLogger("EdgeStore.Test");
        Assert.True(logger.IsEnabled(LogLevel.Information));
        Assert.False(logger.IsEnabled(LogLevel.Debug));

        levelSwitch.Set(LogLevel.Debug);
        Assert.True(logger.IsEnabled(LogLevel.Debug));

        levelSwitch.Set(LogLevel.Error);
        Assert.False(logger.IsEnabled(LogLevel.Warning));
        Assert.True(logger.IsEnabled(LogLevel.Error));
    }
}
