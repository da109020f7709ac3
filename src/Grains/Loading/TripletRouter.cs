using System.Collections.Concurrent;
using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Grains.Loading;

/// <summary>
/// Takes parsed triplets and sends them to their shards in chunks: each training triplet to its user's shard and to
/// its item's shard, each validation triplet to its user's shard only. Chunks are sent by a background pump while the
/// reader goes on, at most <see cref="MaxChunksInFlight"/> queued, so a large file streams through in bounded memory.
/// </summary>
internal sealed class TripletRouter : ITripletSink
{
    /// <summary>Triplets per chunk: large enough that a grain call's cost is small per triplet, small enough to stream.</summary>
    public const int ChunkSize = 16_384;

    private const int MaxChunksInFlight = 8;

    private readonly DataSetKind _kind;
    private readonly ShardSet _shards;
    private readonly ChunkBuffer[] _users;
    private readonly ChunkBuffer[] _items;
    private readonly BlockingCollection<(IShardGrain Shard, TripletChunk Chunk)> _outbox = new(MaxChunksInFlight);
    private readonly Task _pump;
    private readonly CancellationToken _cancellationToken;

    public TripletRouter(DataSetKind kind, ShardSet shards, CancellationToken cancellationToken)
    {
        _kind = kind;
        _shards = shards;
        _cancellationToken = cancellationToken;
        _users = new ChunkBuffer[shards.Users.Length];
        for (var s = 0; s < _users.Length; s++) _users[s] = new ChunkBuffer();
        _items = new ChunkBuffer[kind == DataSetKind.Training ? shards.Items.Length : 0];
        for (var s = 0; s < _items.Length; s++) _items[s] = new ChunkBuffer();
        _pump = Task.Run(PumpAsync, CancellationToken.None);
    }

    public long Triplets { get; private set; }

    /// <summary>Triplets sent to each user shard.</summary>
    public long[] UserShardTriplets => CountsOf(_users);

    /// <summary>Triplets sent to each item shard (none for validation).</summary>
    public long[] ItemShardTriplets => CountsOf(_items);

    public void Add(string user, string item, double count)
    {
        var y = (float)count;
        var userShard = ShardRouting.ShardOf(user, _shards.Users.Length);
        var itemShard = ShardRouting.ShardOf(item, _shards.Items.Length);
        Triplets++;
        if (_users[userShard].Add(user, item, y, itemShard)) Send(_shards.Users[userShard], _users[userShard]);
        if (_kind == DataSetKind.Training && _items[itemShard].Add(item, user, y, userShard)) Send(_shards.Items[itemShard], _items[itemShard]);
    }

    /// <summary>Sends what is left and waits until every chunk has been taken by its shard.</summary>
    public async Task CompleteAsync()
    {
        for (var s = 0; s < _users.Length; s++)
        {
            if (_users[s].Count > 0) Send(_shards.Users[s], _users[s]);
        }
        for (var s = 0; s < _items.Length; s++)
        {
            if (_items[s].Count > 0) Send(_shards.Items[s], _items[s]);
        }
        _outbox.CompleteAdding();
        await _pump;
    }

    /// <summary>Stops sending (the file was refused); waits for the chunk in flight so nothing arrives after the discard.</summary>
    public async Task AbandonAsync()
    {
        _outbox.CompleteAdding();
        try
        {
            await _pump;
        }
        catch (Exception)
        {
            // The shards are about to be discarded; a failed send changes nothing.
        }
    }

    private static long[] CountsOf(ChunkBuffer[] buffers)
    {
        var counts = new long[buffers.Length];
        for (var s = 0; s < buffers.Length; s++) counts[s] = buffers[s].Total;
        return counts;
    }

    private void Send(IShardGrain shard, ChunkBuffer buffer)
    {
        var chunk = buffer.Take(_kind);
        // Blocks the reading thread while the pump is behind: back-pressure instead of buffering the file.
        if (!_outbox.TryAdd((shard, chunk), Timeout.Infinite, _cancellationToken))
            throw new InvalidOperationException("the upload's sender stopped");
        if (_pump.IsFaulted) _pump.GetAwaiter().GetResult();
    }

    private async Task PumpAsync()
    {
        foreach (var (shard, chunk) in _outbox.GetConsumingEnumerable(CancellationToken.None))
        {
            try
            {
                await shard.AddTriplets(chunk, _cancellationToken);
            }
            catch
            {
                // Unblock a reader waiting to add, then surface the failure to it.
                _outbox.CompleteAdding();
                throw;
            }
        }
    }

    /// <summary>One shard's chunk being filled.</summary>
    private sealed class ChunkBuffer
    {
        private string[] _rows = new string[ChunkSize];
        private string[] _others = new string[ChunkSize];
        private float[] _counts = new float[ChunkSize];
        private int[] _otherShards = new int[ChunkSize];

        public int Count { get; private set; }

        /// <summary>Triplets added over all chunks.</summary>
        public long Total { get; private set; }

        /// <returns>True when the chunk is full.</returns>
        public bool Add(string row, string other, float count, int otherShard)
        {
            Total++;
            _rows[Count] = row;
            _others[Count] = other;
            _counts[Count] = count;
            _otherShards[Count] = otherShard;
            return ++Count == ChunkSize;
        }

        /// <summary>The chunk so far; the buffer starts a new one (the arrays go to the shard, which may keep them).</summary>
        public TripletChunk Take(DataSetKind kind)
        {
            var chunk = Count == ChunkSize
                ? new TripletChunk(kind, _rows, _others, _counts, _otherShards)
                : new TripletChunk(kind, _rows[..Count], _others[..Count], _counts[..Count], _otherShards[..Count]);
            _rows = new string[ChunkSize];
            _others = new string[ChunkSize];
            _counts = new float[ChunkSize];
            _otherShards = new int[ChunkSize];
            Count = 0;
            return chunk;
        }
    }
}
