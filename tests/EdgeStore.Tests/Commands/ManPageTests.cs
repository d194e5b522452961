using System.CommandLine;
using System.Reflection;
using EdgeStore.Commands;
using EdgeStore.Testing;

namespace EdgeStore.Tests.Commands;

/// <summary>
/// The man page the package installs (packaging/debian/edgestore.1) names every command and every option of the
/// program's own command-line tree, and every exit code in <see cref="ExitCodes"/>: a command or code added without
/// its documentation fails here.
/// </summary>
public sealed class ManPageTests
{
    private static readonly string ManPage = File.ReadAllText(RepositoryRoot.Of("packaging/debian/edgestore.1"));

    public static TheoryData<string> Commands()
    {
        var data = new TheoryData<string>();
        foreach (var command in Walk(Program.CreateCommandLine()).Where(c => c.Subcommands.Count == 0))
        {
            data.Add(Heading(command));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public void Every_command_and_its_options_are_in_the_man_page(string heading)
    {
        var command = Walk(Program.CreateCommandLine()).Single(c => c.Subcommands.Count == 0 && Heading(c) == heading);

        // A command has its own .SS section (subcommands such as "safe-mode show" under their parent's).
        var section = SectionOf(command);
        Assert.True(section is not null, $"no '.SS {Heading(command)}' section in edgestore.1");
        foreach (var option in command.Options.Where(o => !o.Hidden && o.Name is not "--help" and not "-h" and not "-?"))
        {
            Assert.True(section!.Contains(Escaped(option.Name), StringComparison.Ordinal), $"'{Heading(command)}' section of edgestore.1 does not describe {option.Name}");
        }
    }

    [Fact]
    public void Every_exit_code_is_in_the_man_page()
    {
        var exitStatus = ManPage[ManPage.IndexOf(".SH EXIT STATUS", StringComparison.Ordinal)..];
        exitStatus = exitStatus[..exitStatus.IndexOf(".SH ", 4, StringComparison.Ordinal)];
        foreach (var field in typeof(ExitCodes).GetFields(BindingFlags.Public | BindingFlags.Static | BindingFlags.NonPublic))
        {
            var code = (int)field.GetValue(null)!;
            Assert.True(exitStatus.Contains($".B {code}\n", StringComparison.Ordinal), $"EXIT STATUS of edgestore.1 does not describe {code} ({field.Name})");
        }
    }

    private static string? SectionOf(Command command)
    {
        var heading = $".SS {Heading(command)}\n";
        var start = ManPage.IndexOf(heading, StringComparison.Ordinal);
        if (start < 0)
        {
            return null;
        }

        var end = ManPage.IndexOf("\n.S", start + heading.Length, StringComparison.Ordinal);
        return end < 0 ? ManPage[start..] : ManPage[start..end];
    }

    // "query", "safe-mode show" (hyphens escaped as groff wants them).
    private static string Heading(Command command) =>
        Escaped(command.Parents.OfType<Command>().FirstOrDefault(p => p is not RootCommand) is { } parent ? $"{parent.Name} {command.Name}" : command.Name);

    private static string Escaped(string text) => text.Replace("-", "\\-", StringComparison.Ordinal);

    private static IEnumerable<Command> Walk(Command command) =>
        command.Subcommands.Count == 0 ? [command] : command.Subcommands.SelectMany(Walk).Prepend(command);
}
