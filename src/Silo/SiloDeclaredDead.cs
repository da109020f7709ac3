namespace Hpf.Cluster.Silo;

/// <summary>
/// What a silo does when Orleans finds it fatally broken, typically because the others declared it dead (it froze or
/// lost the network past failure detection): it stops the host so the process ends with
/// <see cref="SiloProgram.DeclaredDeadExitCode"/>, which a supervisor (systemd, Kubernetes) restarts. Orleans'
/// default handler fails the process fast, losing the exit code and the log line that says why.
/// </summary>
internal sealed partial class SiloDeclaredDead(IHostApplicationLifetime lifetime, ILogger<SiloDeclaredDead> logger) : IFatalErrorHandler
{
    private int _happened;

    /// <summary>True once the silo stopped on a fatal error.</summary>
    public bool Happened => Volatile.Read(ref _happened) == 1;

    public bool IsUnexpected(Exception exception) => true;

    public void OnFatalException(object? sender = null, string? context = null, Exception? exception = null)
    {
        if (Interlocked.Exchange(ref _happened, 1) == 1) return;
        LogFatal(logger, exception, context ?? "");
        lifetime.StopApplication();
    }

    [LoggerMessage(EventId = 3, Level = LogLevel.Critical, Message = "Silo stops: {Context}")]
    private static partial void LogFatal(ILogger logger, Exception? exception, string context);
}
