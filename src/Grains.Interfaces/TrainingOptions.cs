namespace Hpf.Cluster.Grains.Interfaces;

/// <summary>Everything that determines a training run: same options and same data give the same model.</summary>
[GenerateSerializer, Immutable, Alias("hpf.TrainingOptions")]
public sealed record TrainingOptions
{
    /// <summary>
    /// K, the number of factors: 75 by default, in 3 members of 25 (<see cref="Members"/>). Chosen by held-out quality
    /// over MovieLens 100k and long-tailed play counts (docs/benchmarks.md, "The training defaults"): against K = 50 in
    /// 2 members it raises precision@20 on the five 80/20 splits from 0.278 to 0.281 and NDCG@20 from 0.413 to 0.419
    /// for 1.4–1.65 times the CPU time per iteration at 1M nonzeros; K = 100 in 4 members ranks a little better again
    /// for 1.8–2.1 times, which at tens of millions of nonzeros costs more than the gain is worth.
    /// </summary>
    [Id(0)]
    public int Factors { get; init; } = 75;

    // Serialized as given (null when unset), so a job's options read back the same on any silo.
    [Id(1)]
    private readonly int? _members;

    /// <summary>
    /// The model is the average of this many HPF fits trained side by side, each with its share of the K factors
    /// (K/M, the first K mod M one more), its own φ normalisation and its own activities; the predicted count is the
    /// members' mean; 1 is plain HPF. Unset (the default), one member per 25 factors, rounded, and at least 2 when
    /// K ≥ 2: 3 at K = 75, 2 at K = 50, 4 at K = 100. Members of about 25 gave a better held-out log-likelihood on
    /// MovieLens than members of 32 (K = 96 in 3 against K = 75 in 3, K = 128 in 4 against K = 100 in 4), and 3 or 4
    /// members of at most 32 factors share one pass over the nonzeros, so they cost about what one fit of K costs.
    /// </summary>
    public int Members { get => _members ?? MembersFor(Factors); init => _members = value; }

    /// <summary>The member count an unset <see cref="Members"/> takes at K factors: one per 25, rounded; at least 2 (K ≥ 2).</summary>
    public static int MembersFor(int factors) =>
        factors < 2 ? 1 : Math.Max(2, (int)Math.Round(factors / (double)FactorsPerMember, MidpointRounding.AwayFromZero));

    /// <summary>Factors a member gets when <see cref="Members"/> is unset.</summary>
    public const int FactorsPerMember = 25;

    [Id(2)]
    public HpfPriors Priors { get; init; } = HpfPriors.Default;
    [Id(3)]
    public int MaxIterations { get; init; } = 100;
    [Id(4)]
    public StopRule Stop { get; init; } = StopRule.TrainLlk;
    [Id(5)]
    public int CheckEvery { get; init; } = 10;
    /// <summary>
    /// The relative gain in log-likelihood between two checks (or ‖ΔE[θ]‖ for diffnorm) below which training stops:
    /// 2e-3 by default. On MovieLens the defaults stop at iteration 60 instead of 70–80 at 1e-3, with the same held-out
    /// figures within a fifth of a standard deviation (docs/benchmarks.md, "The training defaults").
    /// </summary>
    [Id(6)]
    public double StopThreshold { get; init; } = 2e-3;

    /// <summary>
    /// SVI over users with a fixed batch: each step takes this many users with all their nonzeros. Overrides
    /// <see cref="UserBatchFraction"/>.
    /// </summary>
    [Id(7)]
    public int? UsersPerBatch { get; init; }
    /// <summary>SVI over items with a fixed batch; overrides <see cref="ItemBatchFraction"/>.</summary>
    [Id(8)]
    public int? ItemsPerBatch { get; init; }

    /// <summary>
    /// SVI over users: each mini-batch takes about this fraction of the users (⌈fraction · users⌉), so the batch
    /// grows with the data; <see cref="UsersPerBatch"/> overrides it. Null (the default): users are not batched. With
    /// users and items both batched, epochs alternate between them (<c>hpf train --svi</c>: 0.1 each). Full batch is
    /// the default because it ranked better than every SVI setting studied (alternating SVI at 0.05, 0.1 and 0.2: a
    /// better held-out log-likelihood by 0.02 nat, but precision@20 0.003 and NDCG@20 0.008 lower on MovieLens) and
    /// reached its stopping point in a fifth of the CPU time or less (docs/benchmarks.md, "The training defaults").
    /// </summary>
    [Id(14)]
    public double? UserBatchFraction { get; init; }
    /// <summary>SVI over items: each mini-batch takes about this fraction of the items; <see cref="ItemsPerBatch"/> overrides it.</summary>
    [Id(15)]
    public double? ItemBatchFraction { get; init; }

    [Id(9)]
    public double StepTau0 { get; init; } = 1.0;
    [Id(10)]
    public double StepKappa { get; init; } = 0.7;
    [Id(11)]
    public StepSchedule StepSchedule { get; init; } = StepSchedule.Global;

    [Id(12)]
    public ulong Seed { get; init; } = 1;
    /// <summary>Worker threads over rows; 0 means all cores. Never changes the result.</summary>
    [Id(13)]
    public int Threads { get; init; }

    /// <summary>What is done to each summed count before the model sees it (<c>--transform</c>); <see cref="CountTransform.None"/> by default.</summary>
    [Id(16)]
    public CountTransform Transform { get; init; }

    /// <summary>The model the job fits; <see cref="ModelKind.Poisson"/> (HPF) by default.</summary>
    [Id(17)]
    public ModelKind Model { get; init; }

    /// <summary>The hyperpriors of the Gaussian model (<see cref="ModelKind.Gaussian"/>); unused by the others.</summary>
    [Id(20)]
    public GaussianPriors GaussianPriors { get; init; } = GaussianPriors.Default;

    public bool IsStochastic => UsersBatched || ItemsBatched;

    private bool UsersBatched => UsersPerBatch is not null || UserBatchFraction is not null;
    private bool ItemsBatched => ItemsPerBatch is not null || ItemBatchFraction is not null;

    /// <summary>Users in one SVI batch on data of <paramref name="users"/> users; null when users are not batched.</summary>
    public int? UserBatchSize(long users) => BatchSize(UsersPerBatch, UserBatchFraction, users);

    /// <summary>Items in one SVI batch on data of <paramref name="items"/> items; null when items are not batched.</summary>
    public int? ItemBatchSize(long items) => BatchSize(ItemsPerBatch, ItemBatchFraction, items);

    /// <summary>Whether SVI epoch <paramref name="iteration"/> (1-based) walks the users: always when only users are batched, on odd iterations when both are.</summary>
    public bool IsUserEpoch(int iteration) => UsersBatched && (!ItemsBatched || iteration % 2 == 1);

    private int? BatchSize(int? count, double? fraction, long rows)
    {
        if (count is not null) return count;
        if (fraction is not { } f) return null;
        return (int)Math.Clamp(Math.Ceiling(f * rows), 1, int.MaxValue);
    }

    public int EffectiveThreads => Threads > 0 ? Threads : Environment.ProcessorCount;

    /// <summary>Throws ArgumentOutOfRangeException naming the option (as the console spells it) when a value is out of range.</summary>
    public void Validate()
    {
        Priors.Validate();
        GaussianPriors.Validate();
        if (Factors < 1) throw Bad("k", Factors, "must be ≥ 1");
        if (Members < 1 || Members > Factors) throw Bad("members", Members, $"must lie in [1, K] (K = {Factors}: every member needs a factor)");
        if (MaxIterations < 1) throw Bad("max-iter", MaxIterations, "must be ≥ 1");
        if (CheckEvery < 1) throw Bad("check-every", CheckEvery, "must be ≥ 1");
        if (!double.IsFinite(StopThreshold) || StopThreshold < 0) throw Bad("stop-threshold", StopThreshold, "must be a finite number ≥ 0");
        if (UsersPerBatch is < 1) throw Bad("users-per-batch", UsersPerBatch, "must be ≥ 1");
        if (ItemsPerBatch is < 1) throw Bad("items-per-batch", ItemsPerBatch, "must be ≥ 1");
        if (UserBatchFraction is { } uf && !(uf > 0 && uf <= 1)) throw Bad("user-batch-fraction", uf, "must lie in (0, 1]: the share of the users in one mini-batch");
        if (ItemBatchFraction is { } itf && !(itf > 0 && itf <= 1)) throw Bad("item-batch-fraction", itf, "must lie in (0, 1]: the share of the items in one mini-batch");
        // Robbins–Monro: Σρ = ∞ needs κ ≤ 1, Σρ² < ∞ needs κ > 0.5.
        if (!(StepKappa > 0.5 && StepKappa <= 1.0)) throw Bad("step-kappa", StepKappa, "must lie in (0.5, 1] so that Σρ = ∞ and Σρ² < ∞");
        if (!double.IsFinite(StepTau0) || StepTau0 < 0) throw Bad("step-tau0", StepTau0, "must be a finite number ≥ 0");
        if (Threads < 0) throw Bad("threads", Threads, "must be ≥ 0 (0 = all cores)");
        if (!Enum.IsDefined(Model)) throw Bad("model", Model, "is not a model this build knows");
        // The budget model's ξ per (user, group) pair is one member's; its conjugate updates are full batch only.
        if (Model == ModelKind.Budget && Members != 1) throw Bad("members", Members, "must be 1 with --model budget (the budget model trains one member)");
        if (Model == ModelKind.Budget && IsStochastic) throw Bad("model", "budget", "trains full batch only: leave out the SVI batch options");
        if (Model == ModelKind.Gaussian)
        {
            // What the Gaussian model has not got is refused rather than ignored (the API takes any combination).
            if (IsStochastic) throw Bad("model", "gaussian", "trains full batch: the SVI batch options are for the poisson model");
            if (Transform != CountTransform.None) throw Bad("transform", Transform, "must be none with --model gaussian: it fits the ratings as they are");
            if (Stop == StopRule.DiffNorm) throw Bad("stop", "diffnorm", "is for the poisson model; the Gaussian model stops on train-llk, val-llk (in process) or maxiter");
        }
    }

    private static ArgumentOutOfRangeException Bad(string name, object? value, string rule) =>
        new(name, value, $"option '--{name}' {rule}, got {value}");
}
