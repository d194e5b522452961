using System.Reflection;
using EdgeStore.Configuration;

namespace EdgeStore.Tests.Configuration;

/// <summary>
/// The daemon's list of known settings is written out by hand (no reflection in the daemon, for Native AOT); this test
/// (which may use reflection) keeps it in step with the settings classes the binder fills.
/// </summary>
public sealed class SettingsSchemaTests
{
    [Fact]
    public void The_schema_names_every_settable_property_of_the_settings_with_its_type_and_nothing_else()
    {
        var differences = new List<string>();
        Compare(typeof(EdgeStoreSettings), SettingsSchema.Root, string.Empty, differences);

        Assert.Empty(differences);
    }

    private static void Compare(Type type, SettingShape shape, string path, List<string> differences)
    {
        var properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite).ToList();
        Assert.Equal(properties.Select(p => path + p.Name), shape.Members.Select(m => path + m.Key));
        foreach (var property in properties)
        {
            Check(property.PropertyType, shape.Member(property.Name)!.Value.Value, path + property.Name, differences);
        }
    }

    private static void Check(Type type, SettingShape shape, string path, List<string> differences)
    {
        var underlying = Nullable.GetUnderlyingType(type);
        var expected = (underlying ?? type) switch
        {
            var t when t == typeof(string) => (SettingKind.Text, true),
            var t when t == typeof(int) => (SettingKind.WholeNumber32, underlying is not null),
            var t when t == typeof(long) => (SettingKind.WholeNumber64, underlying is not null),
            var t when t == typeof(bool) => (SettingKind.TrueFalse, underlying is not null),
            var t when t.IsGenericType && t.GetGenericTypeDefinition() == typeof(List<>) => (SettingKind.List, false),
            _ => (SettingKind.Section, false),
        };
        if ((shape.Kind, shape.Optional) != expected)
        {
            differences.Add($"{path}: the schema says {shape.Kind}{(shape.Optional ? " (optional)" : string.Empty)}, the class {type.Name}");
            return;
        }

        if (shape.Kind == SettingKind.List)
        {
            Check(type.GetGenericArguments()[0], shape.Element!, path + ":N", differences);
        }
        else if (shape.Kind == SettingKind.Section)
        {
            Compare(type, shape, path + ":", differences);
        }
    }
}
