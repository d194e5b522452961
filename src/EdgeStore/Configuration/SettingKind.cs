namespace EdgeStore.Configuration;

/// <summary>What a configuration key holds, as far as the unknown-key and wrong-type checks need to know.</summary>
internal enum SettingKind
{
    Text,
    WholeNumber32,
    WholeNumber64,
    TrueFalse,
    Section,
    List,
}
