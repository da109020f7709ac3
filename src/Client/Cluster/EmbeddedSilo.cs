using System.Security.Cryptography;
using Hpf.Cluster.Silo;
using Microsoft.AspNetCore.Builder;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Hpf.Cluster.Client.Cluster;

/// <summary>
/// A single silo inside the console's own process, built by <see cref="HpfSiloBuilder"/> like any other: loopback, free
/// ports, SQLite membership and grain state under <c>&lt;data-dir&gt;/silo/</c>, and a cluster secret and API key made
/// for this run. <c>hpf train</c> without <c>--cluster</c> runs its job through it with the same HTTP client as a real
/// cluster. Its state is scratch space for one run (the saved job in the local store is what lasts): a run starts
/// from empty tables and deletes them when it ends (SQLite does not give a deleted job's space back to the disk),
/// and a lock file keeps two console processes from sharing them.
/// </summary>
internal sealed class EmbeddedSilo : IAsyncDisposable
{
    public const string DirectoryName = "silo";
    private const string LockFileName = "lock";
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(30);

    private readonly HpfSilo _silo;
    private readonly FileStream _lock;
    private readonly string _directory;
    private bool _disposed;

    private EmbeddedSilo(HpfSilo silo, FileStream lockFile, string directory, string apiKey)
    {
        _silo = silo;
        _lock = lockFile;
        _directory = directory;
        ApiKey = apiKey;
    }

    /// <summary>The silo's client API, on a loopback port.</summary>
    public Uri ApiAddress => _silo.ApiAddress;

    /// <summary>Made for this run; it lives in this process only.</summary>
    public string ApiKey { get; }

    public static async Task<EmbeddedSilo> StartAsync(string dataDirectory, CliOutput output, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var directory = Path.Combine(Path.GetFullPath(dataDirectory), DirectoryName);
        Directory.CreateDirectory(directory);
        var lockFile = await LockAsync(directory, output, cancellationToken).ConfigureAwait(false);
        HpfSilo? silo = null;
        try
        {
            DeleteTables(directory);
            var apiKey = NewSecret();
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
                ["Cluster:ClusterId"] = "hpf-embedded",
                ["Cluster:ClusterSecret"] = NewSecret(),
                ["Silo:BindAddress"] = "127.0.0.1",
                ["Silo:Port"] = "0",
                ["Silo:SiloName"] = "embedded",
                ["Api:Port"] = "0",
                ["Api:ApiKey"] = apiKey,
                ["Membership:Provider"] = "Sqlite",
                ["Membership:ConnectionString"] = $"Data Source={Path.Combine(directory, "membership.db")}",
                ["Storage:Provider"] = "Sqlite",
                ["Storage:DataDirectory"] = directory,
                // No peer's view needs to drop this silo before it closes.
                ["Shutdown:DrainTime"] = "00:00:00",
                // One job, driven by this process: there is no coordinator elsewhere to resume.
                ["Watchdog:Enabled"] = "false",
            });
            silo = HpfSiloBuilder.Build(builder);
            await silo.StartAsync(cancellationToken).ConfigureAwait(false);
            return new EmbeddedSilo(silo, lockFile, directory, apiKey);
        }
        catch
        {
            if (silo is not null) await silo.DisposeAsync().ConfigureAwait(false);
            SqliteConnection.ClearAllPools();
            await lockFile.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        try
        {
            using var timeout = new CancellationTokenSource(StopTimeout);
            await _silo.StopAsync(timeout.Token).ConfigureAwait(false);
        }
        finally
        {
            await _silo.DisposeAsync().ConfigureAwait(false);
            // The pools would keep the database files open for the rest of the process.
            SqliteConnection.ClearAllPools();
            try
            {
                DeleteTables(_directory);
            }
            catch (IOException)
            {
                // The next run deletes them before it starts.
            }
            await _lock.DisposeAsync().ConfigureAwait(false);
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
                await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Deletes the membership and grain-state files (under the lock): before a run, what a killed one left.</summary>
    private static void DeleteTables(string directory)
    {
        foreach (var stem in new[] { "membership.db", "grain-state.db" })
        {
            foreach (var suffix in new[] { "", "-wal", "-shm", "-journal" })
            {
                File.Delete(Path.Combine(directory, stem + suffix));
            }
        }
    }

    private static string NewSecret() => Convert.ToHexString(RandomNumberGenerator.GetBytes(32));
}
