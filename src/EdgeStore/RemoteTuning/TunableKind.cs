namespace EdgeStore.RemoteTuning;

/// <summary>The JSON shape a tunable setting takes in a desired document.</summary>
internal enum TunableKind
{
    /// <summary>A whole number between the setting's Min and Max.</summary>
    Integer,

    /// <summary>One string of the setting's Choices (matched without regard to case, reported in canonical spelling).</summary>
    Choice,

    /// <summary>true or false.</summary>
    Boolean,

    /// <summary>A list of maintenance windows: `[{ "start": "02:00", "duration": "2h", "days": "Mon-Sun" }]`.</summary>
    Windows,
}
