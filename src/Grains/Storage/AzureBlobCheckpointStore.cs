using System.Buffers;
using System.Buffers.Binary;
using Azure;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Azure.Storage.Blobs.Specialized;

namespace Hpf.Cluster.Grains.Storage;

/// <summary>
/// Checkpoints as block blobs named <c>{grainType}/{grainId}</c>, for the cluster profile. A write stages the state
/// block by block as the callback produces it and commits the block list only when the callback has finished, under
/// the blob's etag: a failed or cancelled write never commits, so readers keep seeing the previous state.
/// </summary>
public sealed class AzureBlobCheckpointStore : ICheckpointStore
{
    /// <summary>
    /// The one buffer a write holds. Large enough that a 1 GB state is a few hundred requests, small enough that
    /// several concurrent writes stay cheap; a blob takes 50,000 blocks, so states up to 400 GB.
    /// </summary>
    internal const int BlockSize = 8 * 1024 * 1024;

    private readonly BlobContainerClient _container;
    private readonly Lock _gate = new();
    private Task? _containerCreated;

    public AzureBlobCheckpointStore(AzureBlobCheckpointStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(options.ConnectionString);
        ArgumentException.ThrowIfNullOrEmpty(options.ContainerName);
        _container = new BlobServiceClient(options.ConnectionString).GetBlobContainerClient(options.ContainerName);
    }

    public async Task<string?> ReadAsync(string grainType, string grainId, Func<Stream, CancellationToken, Task> readState, CancellationToken cancellationToken)
    {
        CheckpointKey.Validate(grainType, grainId);
        ArgumentNullException.ThrowIfNull(readState);
        var blob = _container.GetBlobClient(BlobName(grainType, grainId));
        Response<BlobDownloadStreamingResult> download;
        try
        {
            // One GET streams one version; if the connection drops, the SDK resumes the range pinned to this
            // version's etag, so the callback never sees two versions spliced.
            download = await blob.DownloadStreamingAsync(cancellationToken: cancellationToken);
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
        using var result = download.Value;
        await using var state = new ForwardOnlyStream(result.Content, writable: false);
        await readState(state, cancellationToken);
        return result.Details.ETag.ToString();
    }

    public async Task<string> WriteAsync(string grainType, string grainId, Func<Stream, CancellationToken, Task> writeState, string? expectedETag, CancellationToken cancellationToken)
    {
        CheckpointKey.Validate(grainType, grainId);
        ArgumentNullException.ThrowIfNull(writeState);
        await EnsureContainerAsync(cancellationToken);
        var blob = _container.GetBlockBlobClient(BlobName(grainType, grainId));
        // Checked before the state is uploaded too, so a stale writer is refused before it spends time on a large state.
        var actual = await ETagOfAsync(blob, cancellationToken);
        if (!string.Equals(actual, expectedETag, StringComparison.Ordinal))
            throw new CheckpointConflictException(grainType, grainId, expectedETag, actual);

        IReadOnlyList<string> blocks;
        await using (var upload = new BlockUploadStream(blob))
        {
            await writeState(upload, cancellationToken);
            cancellationToken.ThrowIfCancellationRequested();
            blocks = await upload.CompleteAsync(cancellationToken);
        }

        var conditions = expectedETag is null
            ? new BlobRequestConditions { IfNoneMatch = ETag.All }
            : new BlobRequestConditions { IfMatch = new ETag(expectedETag) };
        try
        {
            // Not cancellable: once the commit is sent, the caller must learn whether it happened.
            var committed = await blob.CommitBlockListAsync(blocks, new CommitBlockListOptions { Conditions = conditions }, CancellationToken.None);
            return committed.Value.ETag.ToString();
        }
        catch (RequestFailedException e) when (IsConflict(e))
        {
            throw new CheckpointConflictException(grainType, grainId, expectedETag, await ETagOfAsync(blob, CancellationToken.None));
        }
    }

    public async Task ClearAsync(string grainType, string grainId, string? expectedETag, CancellationToken cancellationToken)
    {
        CheckpointKey.Validate(grainType, grainId);
        var blob = _container.GetBlobClient(BlobName(grainType, grainId));
        if (expectedETag is null)
        {
            // Nothing to delete; present state is someone else's, which clearing "no state" must not remove.
            var actual = await ETagOfAsync(blob, cancellationToken);
            if (actual is not null)
                throw new CheckpointConflictException(grainType, grainId, expectedETag, actual);
            return;
        }
        try
        {
            await blob.DeleteAsync(DeleteSnapshotsOption.IncludeSnapshots, new BlobRequestConditions { IfMatch = new ETag(expectedETag) }, cancellationToken);
        }
        catch (RequestFailedException e) when (IsConflict(e) || e.Status == 404)
        {
            throw new CheckpointConflictException(grainType, grainId, expectedETag, await ETagOfAsync(blob, CancellationToken.None));
        }
    }

    private static string BlobName(string grainType, string grainId) => $"{grainType}/{grainId}";

    private static async Task<string?> ETagOfAsync(BlobBaseClient blob, CancellationToken cancellationToken)
    {
        try
        {
            var properties = await blob.GetPropertiesAsync(cancellationToken: cancellationToken);
            return properties.Value.ETag.ToString();
        }
        catch (RequestFailedException e) when (e.Status == 404)
        {
            return null;
        }
    }

    /// <summary>A precondition failed (412), or the blob exists when it was expected not to (409), or a matching one is gone (404).</summary>
    private static bool IsConflict(RequestFailedException e) =>
        e.Status == 412
        || e.ErrorCode == BlobErrorCode.ConditionNotMet.ToString()
        || e.ErrorCode == BlobErrorCode.BlobAlreadyExists.ToString()
        || e.ErrorCode == BlobErrorCode.BlobNotFound.ToString();

    private async Task EnsureContainerAsync(CancellationToken cancellationToken)
    {
        Task created;
        lock (_gate)
            created = _containerCreated ??= _container.CreateIfNotExistsAsync(cancellationToken: CancellationToken.None);
        try
        {
            await created.WaitAsync(cancellationToken);
        }
        catch when (created.IsFaulted)
        {
            // Try again on the next write rather than remembering a transient failure for the store's lifetime.
            lock (_gate)
                if (_containerCreated == created) _containerCreated = null;
            throw;
        }
    }

    /// <summary>
    /// The stream a write's callback fills: bytes gather in one pooled block buffer and each full block is staged as
    /// an uncommitted block, which changes nothing a reader sees until <see cref="CompleteAsync"/>'s list is committed.
    /// Block ids are a per-write random prefix and the block's index, all the same length as the service requires,
    /// so concurrent writers to one blob never reuse each other's blocks.
    /// </summary>
    private sealed class BlockUploadStream(BlockBlobClient blob) : Stream
    {
        private readonly byte[] _buffer = ArrayPool<byte>.Shared.Rent(BlockSize);
        private readonly Guid _writeId = Guid.NewGuid();
        private readonly List<string> _blocks = [];
        private int _filled;
        private bool _disposed;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => !_disposed;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> source)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            while (!source.IsEmpty)
            {
                var take = Math.Min(source.Length, BlockSize - _filled);
                source[..take].CopyTo(_buffer.AsSpan(_filled));
                _filled += take;
                source = source[take..];
                if (_filled == BlockSize)
                {
                    // A synchronous writer (a serializer that only writes synchronously) gets a synchronous upload.
                    using var content = new MemoryStream(_buffer, 0, _filled, writable: false);
                    blob.StageBlock(NextBlockId(), content);
                    _filled = 0;
                }
            }
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            while (!source.IsEmpty)
            {
                var take = Math.Min(source.Length, BlockSize - _filled);
                source.Span[..take].CopyTo(_buffer.AsSpan(_filled));
                _filled += take;
                source = source[take..];
                if (_filled == BlockSize)
                    await StageAsync(cancellationToken);
            }
        }

        /// <summary>Stages what is left and returns the block list to commit, in order.</summary>
        public async Task<IReadOnlyList<string>> CompleteAsync(CancellationToken cancellationToken)
        {
            if (_filled > 0)
                await StageAsync(cancellationToken);
            return _blocks;
        }

        // Blocks are staged when full; the commit, not a flush, is what makes them visible.
        public override void Flush()
        {
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing && !_disposed)
            {
                _disposed = true;
                ArrayPool<byte>.Shared.Return(_buffer);
            }
            base.Dispose(disposing);
        }

        private async Task StageAsync(CancellationToken cancellationToken)
        {
            using var content = new MemoryStream(_buffer, 0, _filled, writable: false);
            await blob.StageBlockAsync(NextBlockId(), content, cancellationToken: cancellationToken);
            _filled = 0;
        }

        private string NextBlockId()
        {
            Span<byte> id = stackalloc byte[20];
            _writeId.TryWriteBytes(id);
            BinaryPrimitives.WriteInt32BigEndian(id[16..], _blocks.Count);
            var blockId = Convert.ToBase64String(id);
            _blocks.Add(blockId);
            return blockId;
        }
    }
}
