namespace Hpf.Cluster.Benchmarks;

/// <summary>
/// The collector's work over a stretch of a benchmark (the training, say): collections by generation, time paused and
/// bytes allocated, so a figure per iteration can say how much of it the GC was.
/// </summary>
internal readonly record struct GcCounts(int Gen0, int Gen1, int Gen2, TimeSpan Paused, long Allocated)
{
    public static GcCounts Now() => new(
        GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration(), GC.GetTotalAllocatedBytes());

    public static GcCounts operator -(GcCounts a, GcCounts b) =>
        new(a.Gen0 - b.Gen0, a.Gen1 - b.Gen1, a.Gen2 - b.Gen2, a.Paused - b.Paused, a.Allocated - b.Allocated);

    public string Describe(int iterations) =>
        $"{Gen0}/{Gen1}/{Gen2} collections (gen 0/1/2), {Paused.TotalMilliseconds / Math.Max(1, iterations) * 1e3:F0} µs paused " +
        $"and {Allocated / (double)Math.Max(1, iterations) / 1024:F0} KiB allocated per iteration";
}
