using EdgeStore.Testing;
using EdgeStore.Tests.EndToEnd;
using Microsoft.Data.Sqlite;

namespace EdgeStore.Tests.Systemd;

/// <summary>
/// The built daemon (through the one launcher, <see cref="EdgeStoreProcess"/>), started the way systemd starts it:
/// NOTIFY_SOCKET and WATCHDOG_USEC in its environment, and nothing else that would reveal systemd. The datagrams
/// arrive through the package's own transport (Microsoft.Extensions.Hosting.Systemd's SystemdNotifier), on a socket
/// file or a name in the abstract namespace. A process test: one at a time with the others.
/// </summary>
[Collection(EndToEndCollection.Name)]
[Trait("Category", "EndToEnd")]
public sealed class SystemdProcessTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(90);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Ready_follows_the_migrated_database_keep_alives_flow_and_sigterm_stops_with_exit_0(bool abstractSocket)
    {
        using var listener = abstractSocket ? NotifySocketListener.Abstract() : NotifySocketListener.InTempDirectory();
        var directory = Path.Combine(Path.GetTempPath(), "edgestore-sd-process-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(directory);
        var database = Path.Combine(directory, "edgestore.db");
        var environment = new Dictionary<string, string?>
        {
            ["INVOCATION_ID"] = null,
            ["JOURNAL_STREAM"] = null,
            ["SYSTEMD_EXEC_PID"] = null,
            ["WATCHDOG_PID"] = null,
            ["NOTIFY_SOCKET"] = listener.NotifySocket,
            ["WATCHDOG_USEC"] = "2000000",
            ["EDGESTORE__STORAGE__PATH"] = database,
            // Nothing listens there: READY and the keep-alives must not wait for a broker.
            ["EDGESTORE__MQTT__PORT"] = FreePort.Next().ToString(System.Globalization.CultureInfo.InvariantCulture),
        };

        await using var process = EdgeStoreProcess.Start(["run"], environment);
        try
        {
            var received = await listener.ReceiveUntilAsync("READY=1", Timeout);
            Assert.DoesNotContain("WATCHDOG=1", received);
            Assert.Contains(received, d => d.StartsWith("EXTEND_TIMEOUT_USEC=", StringComparison.Ordinal));

            // READY=1 means the database is open and migrated: another connection sees the schema now.
            Assert.True(File.Exists(database));
            await using (var connection = new SqliteConnection($"Data Source={database};Mode=ReadOnly;Pooling=False"))
            {
                await connection.OpenAsync();
                await using var command = connection.CreateCommand();
                command.CommandText = "SELECT (SELECT user_version FROM pragma_user_version), (SELECT count(*) FROM sqlite_master WHERE name IN ('series', 'messages', 'quarantine'))";
                await using var reader = await command.ExecuteReaderAsync();
                Assert.True(await reader.ReadAsync());
                Assert.True(reader.GetInt64(0) >= 1);
                Assert.Equal(3, reader.GetInt64(1));
            }

            // WatchdogSec=2 s: a keep-alive every second while the ingest loop and writer beat.
            received.AddRange(await listener.ReceiveUntilAsync("WATCHDOG=1", Timeout));
            received.AddRange(await listener.ReceiveUntilAsync("WATCHDOG=1", Timeout));

            process.Terminate();
            received.AddRange(await listener.ReceiveUntilAsync("STOPPING=1", Timeout));
            Assert.Equal(0, await process.WaitForExitAsync(Timeout));

            // The package's SystemdLifetime sends READY=1 and STOPPING=1; nothing of EdgeStore's sends them again.
            received.AddRange(listener.Drain());
            Assert.DoesNotContain("READY=1", received);
            Assert.DoesNotContain("STOPPING=1", received);
            Assert.Contains(received, d => d.StartsWith("STATUS=", StringComparison.Ordinal));

            Assert.Contains("Told systemd the daemon is ready", process.Output, StringComparison.Ordinal);
            // Under systemd every console line carries its syslog priority for journald.
            var lines = process.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Where(line => !line.StartsWith("err: ", StringComparison.Ordinal))
                .ToList();
            Assert.NotEmpty(lines);
            Assert.All(lines, line => Assert.Matches("^<[0-7]>", line));
            process.WriteOutputOnDispose = false;
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
            }

            Directory.Delete(directory, recursive: true);
        }
    }
}
