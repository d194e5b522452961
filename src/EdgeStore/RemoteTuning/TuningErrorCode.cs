namespace EdgeStore.RemoteTuning;

/// <summary>
/// The codes a rejected desired document carries in `errors[].code`. They are part of the reported document's contract:
/// operators' tooling matches on them, so a code is never renamed, only added.
/// </summary>
internal static class TuningErrorCode
{
    public const string NotJson = "not_json";
    public const string TooLarge = "too_large";
    public const string NotAnObject = "not_an_object";
    public const string MissingField = "missing_field";
    public const string UnknownField = "unknown_field";
    public const string DuplicateField = "duplicate_field";
    public const string NotTunable = "not_tunable";
    public const string WrongType = "wrong_type";
    public const string OutOfRange = "out_of_range";
    public const string InvalidValue = "invalid_value";
    public const string StaleVersion = "stale_version";
    public const string ApplyFailed = "apply_failed";
}
