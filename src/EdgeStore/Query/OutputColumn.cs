namespace EdgeStore.Query;

/// <summary>
/// One output column under the name each format uses: <paramref name="Title"/> heads a table, <paramref name="CsvName"/>
/// a CSV file, <paramref name="JsonName"/> is the JSON lines property. Numbers are right-aligned in a table.
/// </summary>
internal sealed record OutputColumn(string Title, string CsvName, string JsonName, bool RightAligned = false);
