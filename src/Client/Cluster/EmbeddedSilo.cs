using System.Security.Cryptography;
using Hpf.Cluster.Silo;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Hpf.Cluster.Client.Cluster;

/// <summary>
/// A single silo inside the console's own process, built by <see cref="HpfSiloBuilder"/> like any other on the local
/// profile: loopback, free ports, grain state and checkpoints as files under <c>&lt;data-dir&gt;/silo/</c>, an API key
/// made for this run (its HTTP API is not used: the console calls the grains through <see cref="GrainFactory"/>).
/// <c>hpf train</c> without <c>--cluster</c> runs its job through it with the same code as on a real cluster. Its files
/// are kept from run to run (a job it was training when the console was killed is resumed by its watchdog); a lock file
/// keeps two console processes from sharing them.
/// </summary>
internal sealed class EmbeddedSilo : IAsyncDisposable
{
    public const string DirectoryName = "silo";
    public const string LockFileName = "lock";

    /// <summary>The ClusterId and ServiceId of every embedded silo: it is its own cluster, never joined by another.</summary>
    public const string ClusterId = "hpf-local";

    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);

    private readonly HpfSilo _silo;
    private readonly FileStream _lock;
    private bool _disposed;

    private EmbeddedSilo(HpfSilo silo, FileStream lockFile)
    {
        _silo = silo;
        _lock = lockFile;
    }

    /// <summary>Calls the silo's grains from this process.</summary>
    public IGrainFactory GrainFactory => _silo.GrainFactory;

    public static async Task<EmbeddedSilo> StartAsync(string dataDirectory, CliOutput output, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var directory = Path.Combine(Path.GetFullPath(dataDirectory), DirectoryName);
        Directory.CreateDirectory(directory);
        var lockFile = await LockAsync(directory, output, cancellationToken);
        HpfSilo? silo = null;
        try
        {
            var builder = WebApplication.CreateBuilder(new WebApplicationOptions
            {
                Args = [],
                ContentRootPath = directory,
                // Never the developer exception page, whatever ASPNETCORE_ENVIRONMENT says in the user's shell.
                EnvironmentName = Environments.Production,
            });
            // The console owns the terminal: a silo's log lines would tear through the progress display.
            builder.Logging.ClearProviders();
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Profile"] = SiloProfile.Local,
                ["Cluster:ClusterId"] = ClusterId,
                ["Cluster:ServiceId"] = ClusterId,
                ["Silo:BindAddress"] = "127.0.0.1",
                ["Silo:Port"] = "0",
                ["Silo:GatewayPort"] = "0",
                ["Silo:SiloName"] = "embedded",
                ["Api:Port"] = "0",
                ["Api:ApiKey"] = Convert.ToHexString(RandomNumberGenerator.GetBytes(32)),
                ["Storage:DataDirectory"] = directory,
                // Loopback in this process: never TLS, whatever a Tls__ variable in the user's environment says.
                ["Tls:CertificatePath"] = "",
                ["Tls:Subject"] = "",
                // No watchdog: a job left training by a console that was killed would otherwise resume in the background
                // of whatever command starts the embedded silo next, with nobody to save its model; the train command run
                // again replaces it.
                ["Watchdog:Enabled"] = "false",
            });
            silo = HpfSiloBuilder.Build(builder);
            await silo.StartAsync(cancellationToken);
            return new EmbeddedSilo(silo, lockFile);
        }
        catch
        {
            if (silo is not null) await silo.DisposeAsync();
            await lockFile.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        try
        {
            // Graceful: grains deactivate and write their state, so the next run finds it.
            using var timeout = new CancellationTokenSource(StopTimeout);
            await _silo.StopAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // Took too long: what was not written is recovered from the last checkpoint next time.
        }
        finally
        {
            await _silo.DisposeAsync();
            await _lock.DisposeAsync();
        }
    }

    /// <summary>An exclusive lock on <c>silo/lock</c> (flock on Linux), waited for while another console holds it.</summary>
    private static async Task<FileStream> LockAsync(string directory, CliOutput output, CancellationToken cancellationToken)
    {
        var path = Path.Combine(directory, LockFileName);
        var told = false;
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (!cancellationToken.IsCancellationRequested)
            {
                if (!told)
                {
                    output.Warn($"waiting for another hpf command that is using the embedded silo in {directory}");
                    told = true;
                }
                await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
            }
        }
    }
}
