using EdgeStore.Status;
using EdgeStore.Storage;

namespace EdgeStore.Store;

/// <summary>
/// Shows a schema migration in the daemon status while the store opens: phase "migrating" and where the step stands, in
/// status.json and systemd's STATUS= line. Reports arrive on the migrating thread, in order.
/// </summary>
internal sealed class MigrationPhase(DaemonStatus status, TimeProvider timeProvider) : IProgress<MigrationProgress>
{
    public const string Name = "migrating";

    public void Report(MigrationProgress value)
    {
        status.Migration = new MigrationStatus(value.FromVersion, value.ToVersion, value.Step, value.Rows, timeProvider.GetUtcNow() - value.Elapsed);
        if (status.Phase != Name)
        {
            status.Phase = Name;
        }
    }
}
