namespace EdgeStore.Query;

/// <summary>The `--time` of `edgestore query`: which time of a message is shown and filtered on.</summary>
internal enum QueryTimeBasis
{
    /// <summary>When EdgeStore received the message from the broker (always stored).</summary>
    Received,

    /// <summary>The device's own timestamp from the payload (`ts` or `timestamp`), stored when the decoder found one.</summary>
    Device,
}
