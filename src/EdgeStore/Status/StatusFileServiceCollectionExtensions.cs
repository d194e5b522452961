using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace EdgeStore.Status;

/// <summary>Registers the writer of `status.json` (read by `edgestore status`).</summary>
internal static class StatusFileServiceCollectionExtensions
{
    /// <summary>
    /// Writes <c>status.json</c> next to <paramref name="databasePath"/> every <paramref name="interval"/> (default
    /// <see cref="StatusFileWriter.DefaultInterval"/>). Every other service is resolved optionally when the file is first
    /// written, so this can be registered anywhere in the host.
    /// </summary>
    public static IServiceCollection AddStatusFile(this IServiceCollection services, string databasePath, TimeSpan? interval = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(databasePath);
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new StatusFileWriter(
            StatusFile.PathFor(databasePath),
            Path.GetFullPath(databasePath),
            interval ?? StatusFileWriter.DefaultInterval,
            sp,
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<StatusFileWriter>>()));
        services.AddHostedService(sp => sp.GetRequiredService<StatusFileWriter>());
        return services;
    }
}
