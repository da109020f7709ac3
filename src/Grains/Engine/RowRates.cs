namespace Hpf.Cluster.Grains.Engine;

/// <summary>
/// The data term of a row's Gamma rates when it is not the other side's column sums: in the budget model a user's is
/// Σ over its groups of w_ua·Σ_{s∈a}E[β_s], an item's the weighted user sums of its group (docs/maths.md). Read once
/// per row, before the row is updated (a user's weights use its E[x] from before the step).
/// </summary>
internal abstract class RowRates
{
    /// <summary>Row <paramref name="row"/>'s rate data term, [K]: a span of the model's tables or of <see cref="RowScratch.Rates"/>.</summary>
    public abstract ReadOnlySpan<double> Of(int row, FactorSide side, RowScratch scratch);
}
