using Microsoft.Data.Sqlite;

namespace EdgeStore.Storage.Maintenance;

/// <summary>How big the database is and how much of it is free pages (what VACUUM would give back).</summary>
public readonly record struct DatabaseSpaceReport(long PageSizeBytes, long PageCount, long FreelistPages)
{
    public long FileBytes => PageSizeBytes * PageCount;

    public long FreeBytes => PageSizeBytes * FreelistPages;

    public double FreeRatio => PageCount > 0 ? (double)FreelistPages / PageCount : 0;

    public static DatabaseSpaceReport Read(SqliteConnection connection)
    {
        ArgumentNullException.ThrowIfNull(connection);
        return new DatabaseSpaceReport(
            Pragma(connection, "page_size"),
            Pragma(connection, "page_count"),
            Pragma(connection, "freelist_count"));
    }

    private static long Pragma(SqliteConnection connection, string name)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA " + name;
        return Convert.ToInt64(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
