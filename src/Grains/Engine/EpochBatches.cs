namespace Hpf.Cluster.Grains.Engine;

/// <summary>
/// Rows cut into an epoch's SVI mini-batches: row r goes to batch ⌊u_r·B⌋ with u_r uniform from the seed, the
/// epoch, the side and the row's id. Each shard finds its rows of every batch alone, batch b is the same set of rows
/// however the side is sharded, and the in-process trainer cuts its rows the same way, so the engine and the grains
/// take the same steps. Batches are about the asked size (binomial), not exactly it.
/// </summary>
internal sealed class EpochBatches
{
    private readonly int[] _start;
    private readonly int[] _rows;

    public EpochBatches(ulong seed, int epoch, string side, string[] ids, int batches)
    {
        Epoch = epoch;
        Batches = batches;
        var bucket = new int[ids.Length];
        _start = new int[batches + 1];
        // The epoch enters the seed, the side and purpose the stream name: no string is built per row.
        var epochSeed = seed + 0x9E3779B97F4A7C15UL * (ulong)(epoch + 1);
        var stream = "batch/" + side;
        for (var r = 0; r < ids.Length; r++)
        {
            var random = new RowRandom(epochSeed, stream, ids[r]);
            var u = (random.NextUInt64() >> 11) * (1.0 / (1UL << 53));
            bucket[r] = Math.Min(batches - 1, (int)(u * batches));
            _start[bucket[r] + 1]++;
        }
        for (var b = 0; b < batches; b++) _start[b + 1] += _start[b];
        var next = (int[])_start.Clone();
        _rows = new int[ids.Length];
        for (var r = 0; r < ids.Length; r++) _rows[next[bucket[r]]++] = r;
    }

    public int Epoch { get; }
    public int Batches { get; }

    /// <summary>This shard's rows in batch <paramref name="batch"/>, ascending.</summary>
    public ReadOnlySpan<int> RowsOf(int batch) => _rows.AsSpan(_start[batch], _start[batch + 1] - _start[batch]);
}
