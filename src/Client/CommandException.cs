namespace Hpf.Cluster.Client;

/// <summary>A command cannot go on for a reason the user can act on: the message is printed as is, and the process exits with <see cref="ExitCode"/>.</summary>
public sealed class CommandException : Exception
{
    public CommandException(int exitCode, string message, Exception? inner = null)
        : base(message, inner)
    {
        ExitCode = exitCode;
    }

    public int ExitCode { get; }

    /// <summary>
    /// An option out of range, from the Validate methods of the option records: their message names the option as
    /// the console spells it, so it is kept without the " (Parameter 'x')" and "Actual value" text .NET appends.
    /// </summary>
    public static CommandException BadOption(ArgumentOutOfRangeException e) => new(ExitCodes.BadOption, OptionMessage(e), e);

    /// <summary>An argument exception's message without what .NET appends to it (the parameter's name, the actual value).</summary>
    public static string OptionMessage(ArgumentException e)
    {
        var message = e.Message;
        var actual = message.IndexOf("\nActual value", StringComparison.Ordinal);
        if (actual >= 0) message = message[..actual];
        var parameter = message.LastIndexOf(" (Parameter '", StringComparison.Ordinal);
        return (parameter >= 0 ? message[..parameter] : message).Trim();
    }
}
