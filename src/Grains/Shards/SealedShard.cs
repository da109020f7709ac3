using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Interfaces;
using Hpf.Cluster.Grains.Kernels;

namespace Hpf.Cluster.Grains.Shards;

/// <summary>
/// A sealed shard in memory: its rows and nonzeros (<see cref="Side"/>, the engine's own row-update code), where its
/// counterparts live in the gathered tables, which of its rows the other side fetches, and its validation nonzeros.
/// </summary>
internal sealed class SealedShard
{
    public SealedShard(ShardPlan plan, bool userSide, string[] ids, SealedLayout layout, ShardSubscriptions subscriptions, SimdWidth width = SimdWidth.Auto)
    {
        Plan = plan;
        UserSide = userSide;
        Layout = layout;
        Subscriptions = subscriptions;
        var o = plan.Training;
        var p = o.Priors;
        K = o.Factors;
        var resolved = SimdWidths.Resolve(width);
        Side = userSide
            ? new FactorSide("user", ids, layout.Rows, K, o.Members, resolved, p.A, p.APrime, p.APrime / p.BPrime)
            : new FactorSide("item", ids, layout.Rows, K, o.Members, resolved, p.C, p.CPrime, p.CPrime / p.DPrime);
        Threads = o.EffectiveThreads;
        Gathered = new GatheredRows(layout.PartStart, Side.Members);
        HalfStep = new HalfStep(Side, Gathered, Threads);
        double logFactorials = 0;
        // A Gaussian job's ratings may be 0 or negative; log y! belongs to the Poisson likelihood only.
        foreach (var y in layout.Rows.Counts) if (y > 0) logFactorials += LogFactorial.Of(y);
        SumLogFactorial = logFactorials;
        PreviousExpected = [];
        RowSteps = new long[ids.Length];
    }

    public ShardPlan Plan { get; }
    public bool UserSide { get; }
    public SealedLayout Layout { get; }
    public ShardSubscriptions Subscriptions { get; }
    public int K { get; }
    public int Threads { get; }
    public FactorSide Side { get; }
    public GatheredRows Gathered { get; }
    public HalfStep HalfStep { get; }

    /// <summary>The budget model's part of the shard (its rows' groups and pairs); null for HPF.</summary>
    public ShardBudget? Budget
    {
        get;
        set
        {
            field = value;
            HalfStep.Rates = value?.Rates;
        }
    }
    /// <summary>Σ log y! over this shard's training nonzeros.</summary>
    public double SumLogFactorial { get; }
    /// <summary>E[x] at the previous check, for diffnorm (user shards).</summary>
    public float[] PreviousExpected { get; set; }
    /// <summary>Per row, the SVI batches that touched it as a global row (the per-row step schedule).</summary>
    public long[] RowSteps { get; set; }

    public string[] Ids => Side.Ids;
    public int Rows => Side.RowCount;

    /// <summary>hpfrec's initialisation, each row's numbers from the seed and its id (HPF-MATH.md): the same values on any sharding.</summary>
    public void Initialize()
    {
        var p = Plan.Training.Priors;
        Side.Initialize(Plan.Training.Seed, UserSide ? p.APrime : p.CPrime, UserSide ? p.BPrime : p.DPrime, Threads);
        PreviousExpected = (float[])Side.Expected.Clone();
        Array.Clear(RowSteps);
    }

    /// <summary>After parameters were loaded: E[x], E[log], exp(E[log]) and the column sums from shape and rate, as the updates left them.</summary>
    /// <returns>False when a loaded row is not finite.</returns>
    public bool RefreshAll()
    {
        var scratch = new RowScratch(K, Side.Stride);
        var finite = true;
        for (var r = 0; r < Rows; r++) finite &= Side.RefreshDerived(r, scratch, updateActivity: false);
        Side.RecomputeColumnSums();
        PreviousExpected = (float[])Side.Expected.Clone();
        return finite;
    }
}
