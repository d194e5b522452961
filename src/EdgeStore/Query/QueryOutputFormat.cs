namespace EdgeStore.Query;

/// <summary>The `--format` of `edgestore query`.</summary>
internal enum QueryOutputFormat
{
    Table,
    Csv,
    Jsonl,
}
