using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Grains.Data;

/// <summary>
/// What a synthetic dataset is drawn from (HPF-MATH.md, "Model"). The sampling defaults differ from the training
/// priors in a' = c' = 3: with a' = 0.3 the activities ξ have a heavy left tail, so 1/ξ (the scale of θ) has
/// infinite mean and a few users would carry most of the counts.
/// </summary>
public sealed record SyntheticOptions
{
    public int Users { get; init; } = 1000;
    public int Items { get; init; } = 1000;
    public int Factors { get; init; } = 10;
    public ulong Seed { get; init; } = 1;

    public double A { get; init; } = 0.3;
    public double APrime { get; init; } = 3.0;
    public double BPrime { get; init; } = 1.0;
    public double C { get; init; } = 0.3;
    public double CPrime { get; init; } = 3.0;
    public double DPrime { get; init; } = 1.0;

    /// <summary>
    /// Multiplies every θ_u after sampling: the expected total count grows in proportion. The result is still an
    /// exact HPF sample, with b' replaced by b'/Scale.
    /// </summary>
    public double Scale { get; init; } = 1.0;

    /// <summary>
    /// When set, the scale is chosen instead (Scale must stay 1) so that the expected number of nonzeros is about
    /// this, estimated from a sample of (user, item) pairs: benchmarks ask for ~1M or ~10M nonzeros this way.
    /// </summary>
    public long? TargetNonzeros { get; init; }

    /// <summary>Worker threads; 0 means all cores. Never changes the data.</summary>
    public int Threads { get; init; }

    public int EffectiveThreads => Threads > 0 ? Threads : Environment.ProcessorCount;

    /// <summary>The sampling hyperparameters as the training code spells them.</summary>
    public HpfPriors Priors => new(A, APrime, BPrime, C, CPrime, DPrime);

    /// <summary>Throws ArgumentOutOfRangeException naming the option (as the console spells it) when a value is out of range.</summary>
    public void Validate()
    {
        Priors.Validate();
        if (Users < 1) throw Bad("users", Users, "must be ≥ 1");
        if (Items < 1) throw Bad("items", Items, "must be ≥ 1");
        if (Factors < 1) throw Bad("factors", Factors, "must be ≥ 1");
        if ((long)Users * Factors > Array.MaxLength) throw Bad("users", Users, $"times k = {Factors} must fit in one array ({Array.MaxLength} elements)");
        if ((long)Items * Factors > Array.MaxLength) throw Bad("items", Items, $"times k = {Factors} must fit in one array ({Array.MaxLength} elements)");
        if (!double.IsFinite(Scale) || Scale <= 0) throw Bad("scale", Scale, "must be a finite number > 0");
        if (TargetNonzeros is { } target)
        {
            if (Scale != 1.0) throw Bad("scale", Scale, "cannot be set together with --target-nonzeros, which chooses the scale");
            // Each (user, item) pair holds at most one nonzero, and the expected count only approaches U·I.
            if (target < 1 || target >= (double)Users * Items)
                throw Bad("target-nonzeros", target, $"must lie in [1, users × items = {(long)Users * Items})");
        }
        if (Threads < 0) throw Bad("threads", Threads, "must be ≥ 0 (0 = all cores)");
    }

    private static ArgumentOutOfRangeException Bad(string name, object? value, string rule) =>
        new(name, value, $"option '--{name}' {rule}, got {value}");
}
