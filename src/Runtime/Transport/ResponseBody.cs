using System.Buffers;

namespace Hpf.Cluster.Runtime.Transport;

/// <summary>A message body read whole into a pooled buffer; dispose returns the buffer.</summary>
internal sealed class ResponseBody : IDisposable
{
    private byte[]? _buffer;

    private ResponseBody(byte[] buffer, int length)
    {
        _buffer = buffer;
        Length = length;
    }

    public int Length { get; }

    public ReadOnlyMemory<byte> Memory => (_buffer ?? throw new ObjectDisposedException(nameof(ResponseBody))).AsMemory(0, Length);

    /// <summary>Reads <paramref name="stream"/> to its end; with a known length it is read straight into one buffer of that size.</summary>
    public static async Task<ResponseBody> ReadAsync(Stream stream, long? contentLength, long maxLength, CancellationToken cancellationToken)
    {
        if (contentLength > maxLength || contentLength > Array.MaxLength)
        {
            throw new InvalidDataException($"Message of {contentLength} bytes exceeds the limit of {maxLength}.");
        }
        var buffer = ArrayPool<byte>.Shared.Rent((int)(contentLength ?? 64 * 1024));
        var length = 0;
        try
        {
            while (contentLength is null || length < contentLength)
            {
                if (length == buffer.Length)
                {
                    if (length >= maxLength)
                    {
                        throw new InvalidDataException($"Message exceeds the limit of {maxLength} bytes.");
                    }
                    var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min(Array.MaxLength, (long)buffer.Length * 2));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }
                var read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }
                length += read;
            }
            return new ResponseBody(buffer, length);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
