namespace Hpf.Cluster.Grains.Interfaces;

/// <summary>
/// What is done to each (user, item) count, after duplicate lines are summed and before training, evaluation and the
/// validation curve see it. The model is then a Poisson model of the transformed counts (docs/maths.md, "Count transforms").
/// </summary>
public enum CountTransform
{
    /// <summary>The counts as read.</summary>
    None,
    /// <summary>log(1 + y), kept fractional: damps long-tailed play counts (a user who played one song 5,000 times) while keeping their order.</summary>
    Log1p,
    /// <summary>1 for every nonzero: only whether the user touched the item counts.</summary>
    Binary,
}
