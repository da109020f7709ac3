namespace Hpf.Cluster.Grains.Interfaces;

/// <summary>
/// A training job as submitted to the cluster: the engine's options plus how the data are sharded and how often
/// the shards checkpoint. Same spec and same data give the same model on one silo or many.
/// </summary>
[GenerateSerializer, Immutable, Alias("hpf.JobSpec")]
public sealed record JobSpec
{
    [Id(0)]
    public TrainingOptions Training { get; init; } = new();

    /// <summary>User shards; 0 picks a default from the expected data size and the number of silos.</summary>
    [Id(1)]
    public int UserShards { get; init; }

    /// <summary>Item shards; 0 picks a default as for users.</summary>
    [Id(2)]
    public int ItemShards { get; init; }

    /// <summary>Every shard writes its parameters every this many iterations; 0 means only the final model is written.</summary>
    [Id(3)]
    public int CheckpointEvery { get; init; } = 10;

    /// <summary>Nonzeros the client expects (from the file size, say), for the default shard counts; 0 when unknown.</summary>
    [Id(4)]
    public long ExpectedNonzeros { get; init; }

    /// <summary>Also computes the ELBO after every full-batch half-step and keeps it in the status: a diagnostic (tests), dear at scale.</summary>
    [Id(5)]
    public bool TraceElbo { get; init; }
    /// <summary>The item → group map of a budget job (<see cref="ModelKind.Budget"/>); null for HPF.</summary>
    [Id(6)]
    public ItemGroupTable? Groups { get; init; }

    /// <summary>Upper bound on shards per side, so one mistyped option cannot ask for a million grains.</summary>
    public const int MaxShards = 1024;

    /// <summary>Throws ArgumentOutOfRangeException naming the option as the console spells it.</summary>
    public void Validate()
    {
        Training.Validate();
        if (Training.Model == ModelKind.Gaussian && Training.Stop == StopRule.ValLlk)
            throw Bad("stop", "val-llk", "with the Gaussian model is for in-process training; on the grains it stops on train-llk or maxiter");
        if (UserShards is < 0 or > MaxShards) throw Bad("user-shards", UserShards, $"must be between 0 (automatic) and {MaxShards}");
        if (ItemShards is < 0 or > MaxShards) throw Bad("item-shards", ItemShards, $"must be between 0 (automatic) and {MaxShards}");
        if (CheckpointEvery < 0) throw Bad("checkpoint-every", CheckpointEvery, "must be ≥ 0 (0 = only the final model)");
        if (ExpectedNonzeros < 0) throw Bad("expected-nonzeros", ExpectedNonzeros, "must be ≥ 0");
        if (Training.Model == ModelKind.Budget)
        {
            if (Groups is null) throw Bad("groups", null, "is needed with --model budget: a file of item<TAB>group lines");
            Groups.Validate();
        }
    }

    /// <summary>
    /// The shard count a side gets when the spec leaves it at 0: one per silo, so every silo works in each half-step,
    /// and more when the data would give a shard more than <see cref="NonzerosPerShard"/> nonzeros.
    /// </summary>
    public static int DefaultShards(long expectedNonzeros, int silos)
    {
        var bySize = (int)Math.Min(MaxShards, (expectedNonzeros + NonzerosPerShard - 1) / NonzerosPerShard);
        return Math.Clamp(Math.Max(bySize, silos), 1, MaxShards);
    }

    /// <summary>
    /// Past this a shard's state (its nonzeros and parameters, ~60 bytes a nonzero) passes ~1 GiB, which is
    /// about what one checkpoint write should move.
    /// </summary>
    public const long NonzerosPerShard = 16_000_000;

    private static ArgumentOutOfRangeException Bad(string name, object? value, string rule) =>
        new(name, value, $"option '--{name}' {rule}, got {value}");
}
