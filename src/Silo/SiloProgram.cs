namespace Hpf.Cluster.Silo;

/// <summary>The Hpf.Silo executable: one silo of a cluster, until it is stopped or the others declare it dead.</summary>
public static partial class SiloProgram
{
    /// <summary>Exit code of a silo that stopped because the others declared it dead.</summary>
    public const int DeclaredDeadExitCode = 3;

    /// <summary>Exit code of a silo refused by its own configuration (a missing API key, say).</summary>
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
            await Console.Error.WriteLineAsync("Hpf.Silo: " + ex.Message);
            return BadConfigurationExitCode;
        }
        var lifetime = silo.Services.GetRequiredService<IHostApplicationLifetime>();
        using var stopped = new CancellationTokenSource();
        lifetime.ApplicationStopping.Register(stopped.Cancel);
        try
        {
            await silo.StartAsync(lifetime.ApplicationStopping);
            await Task.Delay(Timeout.Infinite, stopped.Token);
        }
        catch (OperationCanceledException) when (stopped.IsCancellationRequested)
        {
            // Asked to stop (Ctrl+C, SIGTERM), or declared dead.
        }
        var declaredDead = silo.IsDeclaredDead;
        await silo.DisposeAsync();
        return declaredDead ? DeclaredDeadExitCode : 0;
    }
}
