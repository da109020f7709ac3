using System.Security.Cryptography.X509Certificates;
using Hpf.Cluster.Runtime.Diagnostics;
using Hpf.Cluster.Runtime.Membership;
using Hpf.Cluster.Runtime.Serialization;
using Microsoft.Extensions.Options;

namespace Hpf.Cluster.Runtime.Transport;

/// <summary>
/// Sends call messages to other silos over silo links (<see cref="LinkFrame"/>), one connection per silo that
/// carries all calls to it at once. Cleartext unless a cluster certificate is configured; with TLS a peer is
/// trusted when it presents that same certificate, which is how a private cluster with a self-issued
/// certificate works.
/// </summary>
internal sealed class SiloTransport : IAsyncDisposable
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);

    private readonly ClusterOptions _options;
    private readonly string? _thumbprint;
    private readonly RuntimeMetrics _metrics;
    private readonly Lock _lock = new();
    private readonly Dictionary<SiloAddress, Task<SiloConnection>> _connections = [];
    private bool _disposed;

    public SiloTransport(IOptions<ClusterOptions> options, RuntimeMetrics metrics)
    {
        _options = options.Value;
        _metrics = metrics;
        if (_options.CertificatePath.Length > 0)
        {
            using var certificate = X509CertificateLoader.LoadPkcs12FromFile(_options.CertificatePath, _options.CertificatePassword);
            _thumbprint = certificate.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256);
        }
    }

    /// <summary>
    /// Sends <paramref name="message"/> to <paramref name="silo"/> and returns the response body. A call that
    /// never left this process whole (the silo cannot be connected to, dropped the connection before answering on
    /// it or while the call was written, or is stopping) raises <see cref="SiloUnavailableException"/>, so it is
    /// safe to route again; a
    /// failure after the call was sent may have run it and is an <see cref="IOException"/>, reported, not retried.
    /// </summary>
    public async Task<ResponseBody> SendAsync(SiloAddress silo, WireWriter message, CancellationToken cancellationToken)
    {
        var connection = await ConnectionToAsync(silo, cancellationToken).ConfigureAwait(false);
        return await connection.CallAsync(message, cancellationToken).ConfigureAwait(false);
    }

    private async Task<SiloConnection> ConnectionToAsync(SiloAddress silo, CancellationToken cancellationToken)
    {
        Task<SiloConnection> opening;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_connections.TryGetValue(silo, out opening!) || (opening.IsCompletedSuccessfully && !opening.Result.IsOpen))
            {
                // Not bound to the first caller's token: others may be waiting on the same connection.
                opening = OpenAsync(silo);
                _connections[silo] = opening;
            }
        }
        try
        {
            return await opening.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            Forget(silo, opening);
            throw;
        }
    }

    private async Task<SiloConnection> OpenAsync(SiloAddress silo)
    {
        // Called under the pool's lock: connecting starts after the lock is released.
        await Task.Yield();
        var connection = await SiloConnection.OpenAsync(silo, _options, _thumbprint, ConnectTimeout, _metrics, CancellationToken.None).ConfigureAwait(false);
        connection.Retired += retired => Forget(silo, retired);
        return connection;
    }

    private void Forget(SiloAddress silo, Task<SiloConnection> opening)
    {
        lock (_lock)
        {
            if (_connections.TryGetValue(silo, out var current) && current == opening)
            {
                _connections.Remove(silo);
            }
        }
    }

    private void Forget(SiloAddress silo, SiloConnection retired)
    {
        lock (_lock)
        {
            if (_connections.TryGetValue(silo, out var current) && current.IsCompletedSuccessfully && current.Result == retired)
            {
                _connections.Remove(silo);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        Task<SiloConnection>[] open;
        lock (_lock)
        {
            _disposed = true;
            open = [.. _connections.Values];
            _connections.Clear();
        }
        foreach (var opening in open)
        {
            if (opening.IsCompletedSuccessfully)
            {
                await opening.Result.DisposeAsync().ConfigureAwait(false);
            }
        }
    }
}
