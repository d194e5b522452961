namespace EdgeStore.Query;

/// <summary>What an output cell holds, which decides how each format writes it.</summary>
internal enum OutputCellKind
{
    /// <summary>No value: empty in CSV, null in JSON lines, `-` in a table.</summary>
    Null,

    /// <summary>Text: a JSON string, an RFC 4180 field.</summary>
    Text,

    /// <summary>A number in JSON's own notation, written bare in CSV and JSON lines (never quoted).</summary>
    Number,

    /// <summary>true or false (`yes`/`no` in a table).</summary>
    Boolean,

    /// <summary>A JSON object or array: embedded as JSON in JSON lines, its text elsewhere.</summary>
    Json,
}
