namespace Hpf.Cluster.Silo.Api;

/// <summary>The text of the option records' range errors, which name the option as the console spells it.</summary>
internal static class OptionMessage
{
    /// <summary>The message without the " (Parameter 'x')" and "Actual value was" lines .NET appends to it.</summary>
    public static string Of(ArgumentException e)
    {
        var message = e.Message;
        var actual = message.IndexOf("\nActual value", StringComparison.Ordinal);
        if (actual >= 0) message = message[..actual];
        var parameter = message.LastIndexOf(" (Parameter '", StringComparison.Ordinal);
        return (parameter >= 0 ? message[..parameter] : message).Trim();
    }
}
