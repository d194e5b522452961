namespace EdgeStore.Decoding;

/// <summary>What the decoder recognised in a payload.</summary>
internal enum PayloadKind
{
    /// <summary>Neither JSON nor a number (or JSON that failed to parse where nothing claimed JSON): stored as received.</summary>
    Raw,

    /// <summary>A plain number such as `21.5`: stored as received, no device timestamp or sequence.</summary>
    Number,

    /// <summary>A JSON object: `ts`/`timestamp` and `seq` are taken from its top level when present.</summary>
    JsonObject,

    /// <summary>Valid JSON that is not an object (array, string, literal) on a topic that claims JSON.</summary>
    JsonValue,

    /// <summary>Claimed to be JSON (content type or a Decoder:JsonTopics filter) and did not parse: goes to quarantine.</summary>
    Quarantined,
}
