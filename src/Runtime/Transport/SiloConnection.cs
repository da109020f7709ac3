using System.Collections.Concurrent;
using System.Net.Security;
using System.Net.Sockets;
using Hpf.Cluster.Runtime.Diagnostics;
using Hpf.Cluster.Runtime.Membership;
using Hpf.Cluster.Runtime.Serialization;

namespace Hpf.Cluster.Runtime.Transport;

/// <summary>
/// The caller's end of one silo link (<see cref="LinkFrame"/>): calls are written one frame at a time under a
/// lock, and one reader matches results to waiting calls by id. Whether a failed call may have run follows from
/// how far it got: one never written whole (the connection failed first or while writing it, or the silo said it is
/// stopping) raises <see cref="SiloUnavailableException"/> and is safe to route again; one written and then cut off
/// raises <see cref="IOException"/>, which callers report rather than replay.
/// </summary>
internal sealed class SiloConnection : IAsyncDisposable
{
    private const int BufferBytes = 64 * 1024;

    private readonly SiloAddress _silo;
    private readonly Socket _socket;
    private readonly Stream _stream;
    private readonly BufferedStream _reads;
    private readonly BufferedStream _writes;
    private readonly long _maxMessageBytes;
    private readonly RuntimeMetrics _metrics;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    // Filled and written only under the write lock.
    private readonly byte[] _callHeader = new byte[LinkFrame.HeaderBytes];
    private readonly ConcurrentDictionary<long, TaskCompletionSource<ResponseBody>> _pending = new();
    private readonly CancellationTokenSource _closed = new();
    private long _nextCallId;
    private int _disposed;
    private volatile Exception? _failure;
    private volatile bool _draining;
    private Task _reader = Task.CompletedTask;

    private SiloConnection(SiloAddress silo, Socket socket, Stream stream, long maxMessageBytes, RuntimeMetrics metrics)
    {
        _silo = silo;
        _socket = socket;
        _stream = stream;
        // Two buffers, one per direction (each used by one side only): a small result is one read, a small call one write.
        _reads = new BufferedStream(stream, BufferBytes);
        _writes = new BufferedStream(stream, BufferBytes);
        _maxMessageBytes = maxMessageBytes;
        _metrics = metrics;
    }

    /// <summary>False once the silo said it is stopping or the connection failed: new calls need a new connection.</summary>
    public bool IsOpen => !_draining && _failure is null;

    /// <summary>Raised once, when the connection can take no more calls.</summary>
    public event Action<SiloConnection>? Retired;

    /// <summary>Connects, secures the link if a certificate thumbprint is given, and presents the cluster credentials.</summary>
    public static async Task<SiloConnection> OpenAsync(SiloAddress silo, ClusterOptions options, string? certificateThumbprint, TimeSpan connectTimeout, RuntimeMetrics metrics, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Stream? stream = null;
        try
        {
            using (var connect = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                connect.CancelAfter(connectTimeout);
                try
                {
                    await socket.ConnectAsync(silo.Host, silo.Port, connect.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is SocketException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
                {
                    throw new SiloUnavailableException($"Silo {silo} cannot be reached: {ex.Message}");
                }
            }
            stream = new NetworkStream(socket, ownsSocket: false);
            if (certificateThumbprint is not null)
            {
                var tls = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = tls;
                try
                {
                    await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
                    {
                        TargetHost = silo.Host,
                        RemoteCertificateValidationCallback = (_, presented, _, _) =>
                            presented is not null && presented.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256) == certificateThumbprint,
                    }, cancellationToken).ConfigureAwait(false);
                }
                catch (System.Security.Authentication.AuthenticationException ex)
                {
                    throw new IOException($"Silo {silo} is not trusted: {ex.Message}", ex);
                }
                catch (IOException ex)
                {
                    throw new SiloUnavailableException($"Silo {silo} dropped the connection during the TLS handshake: {ex.Message}");
                }
            }
            try
            {
                await LinkFrame.WriteControlAsync(stream, LinkFrameKind.Hello, 0, LinkFrame.EncodeHello(options.ClusterId, options.ClusterSecret), cancellationToken).ConfigureAwait(false);
            }
            catch (IOException ex)
            {
                // No call has been sent on this connection yet.
                throw new SiloUnavailableException($"Silo {silo} dropped the connection before its handshake: {ex.Message}");
            }
            await ReadWelcomeAsync(silo, stream, cancellationToken).ConfigureAwait(false);
            var connection = new SiloConnection(silo, socket, stream, options.MaxMessageBytes, metrics);
            connection._reader = Task.Run(connection.ReadResultsAsync, CancellationToken.None);
            return connection;
        }
        catch
        {
            if (stream is not null)
            {
                await stream.DisposeAsync().ConfigureAwait(false);
            }
            socket.Dispose();
            throw;
        }
    }

    private static async Task ReadWelcomeAsync(SiloAddress silo, Stream stream, CancellationToken cancellationToken)
    {
        var header = new byte[LinkFrame.HeaderBytes];
        (int Length, LinkFrameKind Kind, long CallId)? frame;
        byte[] payload;
        try
        {
            frame = await LinkFrame.TryReadHeaderAsync(stream, header, cancellationToken).ConfigureAwait(false);
            payload = frame is { } f ? await LinkFrame.ReadControlPayloadAsync(stream, f.Length, cancellationToken).ConfigureAwait(false) : [];
        }
        catch (IOException ex)
        {
            // The silo said nothing and no call was sent: a killed silo's port still completes connections for a moment.
            throw new SiloUnavailableException($"Silo {silo} closed the connection before answering: {ex.Message}");
        }
        switch (frame)
        {
            case null:
                throw new SiloUnavailableException($"Silo {silo} closed the connection before answering.");
            case { Kind: LinkFrameKind.Welcome }:
                return;
            case { Kind: LinkFrameKind.Refused }:
                var check = payload.Length == 1 ? (CredentialCheck)payload[0] : CredentialCheck.Refused;
                throw new UnauthorizedAccessException($"Silo {silo} refused this silo's cluster credentials ({check}).");
            case { Kind: LinkFrameKind.GoAway }:
                throw new SiloUnavailableException($"Silo {silo} is stopping.");
            default:
                throw new IOException($"Silo {silo} answered the handshake with a {frame.Value.Kind} frame.");
        }
    }

    /// <summary>Sends a call message and waits for its result. Cancelling before the whole message is sent aborts it (the silo drops it); after, a Cancel frame reaches the grain's token.</summary>
    public async Task<ResponseBody> CallAsync(WireWriter message, CancellationToken cancellationToken)
    {
        var callId = Interlocked.Increment(ref _nextCallId);
        var result = new TaskCompletionSource<ResponseBody>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[callId] = result;
        try
        {
            await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                if (!IsOpen)
                {
                    throw new SiloUnavailableException($"The connection to silo {_silo} is closing: {_failure?.Message ?? "the silo is stopping"}.");
                }
                var length = message.Length;
                LinkFrame.WriteHeader(_callHeader, length, LinkFrameKind.Call, callId);
                var segments = new SegmentedMessageWriteStream(_writes, cancellationToken);
                try
                {
                    await _writes.WriteAsync(_callHeader, CancellationToken.None).ConfigureAwait(false);
                    await message.WriteToAsync(segments, CancellationToken.None).ConfigureAwait(false);
                    await _writes.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (segments.Aborted)
                {
                    // The silo drops an aborted message: the call never ran.
                    await _writes.FlushAsync(CancellationToken.None).ConfigureAwait(false);
                    throw;
                }
                _metrics.Sent(length);
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException)
            {
                // Some of the call's bytes never left this process, and a silo runs a call only once it has read all
                // of them: the call did not run. (A killed silo's reset reaches a connection that was idle.)
                Fail(ex);
                throw new SiloUnavailableException($"The connection to silo {_silo} failed before the call was sent: {ex.Message}", ex);
            }
            finally
            {
                _writeLock.Release();
            }

            using (cancellationToken.UnsafeRegister(static (state, token) => ((TaskCompletionSource<ResponseBody>)state!).TrySetCanceled(token), result))
            {
                try
                {
                    return await result.Task.ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested && IsOpen)
                {
                    _ = SendCancelAsync(callId);
                    throw;
                }
            }
        }
        finally
        {
            _pending.TryRemove(callId, out _);
            if (_draining)
            {
                RetireIfIdle();
            }
        }
    }

    private async Task SendCancelAsync(long callId)
    {
        try
        {
            await _writeLock.WaitAsync(_closed.Token).ConfigureAwait(false);
            try
            {
                await LinkFrame.WriteControlAsync(_writes, LinkFrameKind.Cancel, callId, ReadOnlyMemory<byte>.Empty, _closed.Token).ConfigureAwait(false);
            }
            finally
            {
                _writeLock.Release();
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException)
        {
            // The connection is going anyway; the silo cancels everything it was running for it when it sees that.
        }
    }

    private async Task ReadResultsAsync()
    {
        var header = new byte[LinkFrame.HeaderBytes];
        try
        {
            while (await LinkFrame.TryReadHeaderAsync(_reads, header, _closed.Token).ConfigureAwait(false) is { } frame)
            {
                switch (frame.Kind)
                {
                    case LinkFrameKind.Result:
                        await ReadResultAsync(frame.Length, frame.CallId).ConfigureAwait(false);
                        break;
                    case LinkFrameKind.GoAway:
                        _draining = true;
                        RetireIfIdle();
                        break;
                    default:
                        throw new InvalidDataException($"Silo {_silo} sent a {frame.Kind} frame on a call connection.");
                }
            }
            Fail(new IOException($"Silo {_silo} closed the connection."));
        }
        catch (Exception ex)
        {
            Fail(ex);
        }
    }

    private async Task ReadResultAsync(int length, long callId)
    {
        if (length < 0)
        {
            throw new IOException($"Silo {_silo} sent a result frame of {length} bytes.");
        }
        var body = new SegmentedMessageReadStream(_reads, length);
        // Taken out now, so that once the last result is in the connection counts as idle.
        _pending.TryRemove(callId, out var waiting);
        if (length > _maxMessageBytes)
        {
            await body.DrainAsync(_closed.Token).ConfigureAwait(false);
            waiting?.TrySetException(new IOException($"Silo {_silo} answered with a message over the limit: {length} bytes exceeds the limit of {_maxMessageBytes}."));
            return;
        }
        var response = await ResponseBody.ReadAsync(body, length, _maxMessageBytes, _closed.Token).ConfigureAwait(false);
        _metrics.Received(response.Length);
        if (waiting is null || !waiting.TrySetResult(response))
        {
            // The caller gave up on it.
            response.Dispose();
        }
        RetireIfIdle();
    }

    private void RetireIfIdle()
    {
        if (_draining && _pending.IsEmpty)
        {
            _ = DisposeAsync().AsTask();
        }
        if (!IsOpen)
        {
            Interlocked.Exchange(ref Retired, null)?.Invoke(this);
        }
    }

    /// <summary>Fails every call still waiting: they were sent, so they may have run.</summary>
    private void Fail(Exception reason)
    {
        _failure ??= reason;
        FailWaiting(() => new IOException($"The connection to silo {_silo} broke before the call's result arrived: {reason.Message}", reason));
        _ = DisposeAsync().AsTask();
    }

    private void FailWaiting(Func<Exception> failure)
    {
        foreach (var (callId, waiting) in _pending)
        {
            if (_pending.TryRemove(callId, out _))
            {
                waiting.TrySetException(failure());
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _failure ??= new ObjectDisposedException(nameof(SiloConnection));
        _closed.Cancel();
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
        await _stream.DisposeAsync().ConfigureAwait(false);
        _socket.Dispose();
        FailWaiting(() => new IOException($"The connection to silo {_silo} was closed."));
        Interlocked.Exchange(ref Retired, null)?.Invoke(this);
    }
}
