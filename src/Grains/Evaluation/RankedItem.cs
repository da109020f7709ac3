namespace Hpf.Cluster.Grains.Evaluation;

/// <summary>An item index in the model and its score E[θ_u]·E[β_i].</summary>
public readonly record struct RankedItem(int Item, float Score);
