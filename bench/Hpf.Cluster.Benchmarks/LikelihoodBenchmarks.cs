using BenchmarkDotNet.Attributes;
using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Kernels;

namespace Hpf.Cluster.Benchmarks;

/// <summary>
/// The nonzero term of a likelihood check, Σ y·log(⟨E[θ_u], E[β_i]⟩ / M), over a 48M-shaped matrix: 1M users of 48
/// nonzeros each over 385k items, K = 50, each row's counterparts ascending as the engine keeps them. A check is
/// one pass over the nonzeros that gathers an item's E[x] row per nonzero, as a half-step gathers its weights, so at
/// this size it is bound by the same memory waits (docs/benchmarks.md, "The likelihood check"). The held-out term of a
/// val-llk check over every tenth of those nonzeros (4.8M, users ascending as a mapped validation set keeps them) gathers
/// a user's row and an item's.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 10)]
public class LikelihoodBenchmarks
{
    private const int Factors = 50;
    private const int NonzerosPerUser = 48;
    private SparseRows _rows = null!;
    private float[] _userExpected = null!;
    private float[] _itemExpected = null!;
    private HeldOutSet _heldOut = null!;

    [Params(1, 2)]
    public int Threads { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var layout = new KernelLayout(1_000_000, 385_000, NonzerosPerUser, Factors, Factors);
        for (var u = 0; u < layout.Users; u++)
            Array.Sort(layout.Other, layout.RowStart[u], layout.RowStart[u + 1] - layout.RowStart[u]);
        _rows = new SparseRows(layout.RowStart, layout.Other, layout.Counts);
        _userExpected = layout.UserExpElog;
        _itemExpected = layout.ItemExpElog;
        var count = layout.Nonzeros / 10;
        var users = new int[count];
        var items = new int[count];
        var counts = new float[count];
        for (var n = 0; n < count; n++)
        {
            users[n] = 10 * n / NonzerosPerUser;
            items[n] = layout.Other[10 * n];
            counts[n] = layout.Counts[10 * n];
        }
        _heldOut = new HeldOutSet(users, items, counts, unknownUsers: 0, unknownItems: 0);
    }

    [Benchmark]
    public double NonzeroTerm() => PoissonLikelihood.NonzeroTerm(_rows, _userExpected, _itemExpected, Factors, members: 2, Threads);

    [Benchmark]
    public double HeldOutSum() => PoissonLikelihood.HeldOutSum(_heldOut, _userExpected, _itemExpected, Factors, members: 2, Threads);
}
