namespace Hpf.Cluster.Grains.Interfaces;

/// <summary>Everything that determines a training run: same options and same data give the same model.</summary>
[GenerateSerializer, Immutable, Alias("hpf.TrainingOptions")]
public sealed record TrainingOptions
{
    [Id(0)]
    public int Factors { get; init; } = 50;

    /// <summary>
    /// The model is the average of this many HPF fits trained side by side, each with its share of the K factors
    /// (K/M, the first K mod M one more), its own φ normalisation and its own activities; the predicted count is the
    /// members' mean. Two members of 25 cost what one fit of 50 costs and predict better on every measure we track
    /// (README, "Quality"); 1 is plain HPF.
    /// </summary>
    [Id(1)]
    public int Members { get; init; } = 2;
    [Id(2)]
    public HpfPriors Priors { get; init; } = HpfPriors.Default;
    [Id(3)]
    public int MaxIterations { get; init; } = 100;
    [Id(4)]
    public StopRule Stop { get; init; } = StopRule.TrainLlk;
    [Id(5)]
    public int CheckEvery { get; init; } = 10;
    [Id(6)]
    public double StopThreshold { get; init; } = 1e-3;

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
    /// users and items both batched, epochs alternate between them. Full batch is the default because it ranked as
    /// well as or better than every SVI setting studied, in a quarter of the time (docs/benchmarks.md, "Full batch
    /// or SVI").
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
