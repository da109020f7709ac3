using Hpf.Cluster.Runtime.Membership;

namespace Hpf.Cluster.Silo;

/// <summary>The Hpf.Silo executable: one silo of a cluster, until it is stopped or finds itself declared dead.</summary>
public static partial class SiloProgram
{
    /// <summary>Exit code of a silo that stopped because the others declared it dead.</summary>
    public const int DeclaredDeadExitCode = 3;

    /// <summary>Exit code of a silo refused by its own configuration (a missing secret or API key, say).</summary>
    public const int BadConfigurationExitCode = 2;

    public static async Task<int> Main(string[] args)
    {
        HpfSilo silo;
        try
        {
            silo = HpfSiloBuilder.Build(HpfSiloBuilder.CreateBuilder(args));
        }
        catch (SiloConfigurationException ex)
        {
            await Console.Error.WriteLineAsync("Hpf.Silo: " + ex.Message).ConfigureAwait(false);
            return BadConfigurationExitCode;
        }

        var logger = silo.Services.GetRequiredService<ILogger<HpfSilo>>();
        var lifetime = silo.Services.GetRequiredService<IHostApplicationLifetime>();
        // Cancelled when the others vote this silo dead (or it leaves): a silo declared dead stops.
        silo.Stopping.Register(lifetime.StopApplication);

        using var stopped = new CancellationTokenSource();
        lifetime.ApplicationStopping.Register(stopped.Cancel);
        try
        {
            await silo.StartAsync(lifetime.ApplicationStopping).ConfigureAwait(false);
            await Task.Delay(Timeout.Infinite, stopped.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stopped.IsCancellationRequested)
        {
            // Asked to stop (Ctrl+C, SIGTERM, or declared dead).
        }
        await silo.DisposeAsync().ConfigureAwait(false);
        if (silo.IsDeclaredDead)
        {
            LogDeclaredDead(logger, silo.Address);
            return DeclaredDeadExitCode;
        }
        return 0;
    }

    [LoggerMessage(EventId = 2, Level = LogLevel.Error, Message = "Silo {Silo} stopped because the cluster declared it dead")]
    private static partial void LogDeclaredDead(ILogger logger, SiloAddress silo);
}
