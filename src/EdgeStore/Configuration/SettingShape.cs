namespace EdgeStore.Configuration;

/// <summary>
/// The shape of one setting or section of <see cref="EdgeStoreSettings"/>, written out by hand in
/// <see cref="SettingsSchema"/> (no reflection: the daemon is built with Native AOT). A section lists its members in
/// declaration order; a list has one element shape. <see cref="Optional"/> values may be given empty (`null` in JSON).
/// </summary>
internal sealed class SettingShape
{
    private SettingShape(SettingKind kind, bool optional, IReadOnlyList<KeyValuePair<string, SettingShape>> members, SettingShape? element)
    {
        Kind = kind;
        Optional = optional;
        Members = members;
        Element = element;
    }

    public static SettingShape Text { get; } = new(SettingKind.Text, optional: true, [], null);

    public static SettingShape Int { get; } = new(SettingKind.WholeNumber32, optional: false, [], null);

    public static SettingShape OptionalInt { get; } = new(SettingKind.WholeNumber32, optional: true, [], null);

    public static SettingShape Long { get; } = new(SettingKind.WholeNumber64, optional: false, [], null);

    public static SettingShape OptionalLong { get; } = new(SettingKind.WholeNumber64, optional: true, [], null);

    public static SettingShape Bool { get; } = new(SettingKind.TrueFalse, optional: false, [], null);

    public SettingKind Kind { get; }

    public bool Optional { get; }

    /// <summary>A section's settings, in the order the settings class declares them.</summary>
    public IReadOnlyList<KeyValuePair<string, SettingShape>> Members { get; }

    /// <summary>A list's element shape.</summary>
    public SettingShape? Element { get; }

    public bool IsScalar => Kind is not (SettingKind.Section or SettingKind.List);

    public static SettingShape Section(params KeyValuePair<string, SettingShape>[] members) => new(SettingKind.Section, optional: false, members, null);

    public static SettingShape ListOf(SettingShape element) => new(SettingKind.List, optional: false, [], element);

    /// <summary>The member named <paramref name="key"/> (matched without regard to case, as configuration keys are), or null.</summary>
    public KeyValuePair<string, SettingShape>? Member(string key)
    {
        foreach (var member in Members)
        {
            if (string.Equals(member.Key, key, StringComparison.OrdinalIgnoreCase))
            {
                return member;
            }
        }

        return null;
    }
}
