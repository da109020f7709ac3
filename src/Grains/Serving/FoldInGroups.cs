namespace Hpf.Cluster.Grains.Serving;

/// <summary>
/// What a budget model's user update reads besides the items (docs/maths.md, "The budget model"): the group of each
/// folded item, as an index into <see cref="GroupSums"/>, and B, Σ_{s∈a} E[β_s] over every item of each group,
/// [groups × K]. The rate's data term is then Σ_a (r_ua / E[x_u]·B_a)·B_a over the user's groups, as in training.
/// </summary>
public sealed record FoldInGroups(int[] ItemGroups, double[] GroupSums);
