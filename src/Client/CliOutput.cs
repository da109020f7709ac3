using System.Text.Json;
using System.Text.Json.Serialization;
using Spectre.Console;

namespace Hpf.Cluster.Client;

/// <summary>
/// Where a command writes: plain writers for text a script may parse (JSON, progress lines, summaries) and
/// Spectre consoles over the same writers for tables, colour and the live progress display.
/// </summary>
public sealed class CliOutput
{
    /// <summary>Wide enough that a redirected table or a <c>file:line: reason</c> message is never wrapped.</summary>
    private const int RedirectedWidth = 4096;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
        // Ids and titles in any script stay readable ("é", not "\u00E9"); the output is never embedded in HTML.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private CliOutput(TextWriter output, TextWriter error, bool outputIsTerminal, bool errorIsTerminal)
    {
        Out = output;
        Error = error;
        IsTerminal = outputIsTerminal;
        Console = CreateConsole(output, outputIsTerminal);
        ErrorConsole = CreateConsole(error, errorIsTerminal);
    }

    public TextWriter Out { get; }
    public TextWriter Error { get; }
    /// <summary>Standard output is a terminal: show live progress rather than lines.</summary>
    public bool IsTerminal { get; }
    public IAnsiConsole Console { get; }
    public IAnsiConsole ErrorConsole { get; }

    /// <summary>The process's own standard output and error.</summary>
    public static CliOutput ForProcess() =>
        new(System.Console.Out, System.Console.Error, !System.Console.IsOutputRedirected, !System.Console.IsErrorRedirected);

    /// <summary>Writers that are not terminals: no colour, no live display, no wrapping (tests, pipes).</summary>
    public static CliOutput ForWriters(TextWriter output, TextWriter error) => new(output, error, false, false);

    /// <summary>An error message, in red on a terminal.</summary>
    public void Fail(string message) => ErrorConsole.MarkupLine($"[red]{Markup.Escape(message)}[/]");

    public void Warn(string message) => ErrorConsole.MarkupLine($"[yellow]{Markup.Escape(message)}[/]");

    public void Line(string text) => Out.WriteLine(text);

    public void WriteJson<T>(T value) => Out.WriteLine(JsonSerializer.Serialize(value, Json));

    private static IAnsiConsole CreateConsole(TextWriter writer, bool isTerminal)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = isTerminal ? AnsiSupport.Detect : AnsiSupport.No,
            ColorSystem = isTerminal ? ColorSystemSupport.Detect : ColorSystemSupport.NoColors,
            Interactive = isTerminal ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (!isTerminal) console.Profile.Width = RedirectedWidth;
        return console;
    }
}
