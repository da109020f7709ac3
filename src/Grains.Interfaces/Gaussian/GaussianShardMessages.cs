namespace Hpf.Cluster.Grains.Interfaces;

/// <summary>
/// One half-step of the Gaussian model for a shard: every row of the shard updated in closed form against the other
/// side's rows at <paramref name="OtherVersion"/>, which the shard fetches (their means and second moments), under its
/// side's population prior and the current μ and σ². Versions work as for <see cref="HalfStepRequest"/>.
/// </summary>
[GenerateSerializer, Immutable, Alias("hpf.gaussian.GaussianStepRequest")]
public sealed record GaussianStepRequest(int Iteration, long Version, long OtherVersion, GaussianPopulation Prior, double Mu, double NoiseVariance);

/// <param name="Side">The shard's rows' sums after the step, for the population update.</param>
/// <param name="Fit">The shard's ratings' fit sums after the step, for μ, σ² and the bound.</param>
/// <param name="FailedRow">Id of the first row whose update failed (not finite), if any.</param>
/// <param name="BytesFetched">Bytes of the other side's moments this shard fetched for the step.</param>
[GenerateSerializer, Immutable, Alias("hpf.gaussian.GaussianStepResult")]
public sealed record GaussianStepResult(GaussianSideSums Side, GaussianFitSums Fit, string? FailedRow, long BytesFetched);

/// <summary>A shard's sums as its rows stand (no update), and its ratings' count, Σr and Σr²: where training starts from.</summary>
[GenerateSerializer, Immutable, Alias("hpf.gaussian.GaussianShardSums")]
public sealed record GaussianShardSums(GaussianSideSums Side, long Ratings, double RatingSum, double RatingSquares);

/// <summary>
/// Rows [start, start + count) of a shard's Gaussian model: ids, means [rows × D], covariances [rows × D × D], and the
/// hyperparameters its checkpoint was written with (null before the first checkpoint).
/// </summary>
[GenerateSerializer, Immutable, Alias("hpf.gaussian.GaussianShardRows")]
public sealed record GaussianShardRows(int TotalRows, string[] Ids, double[] Mean, double[] Covariance, GaussianHyperparameters? Hyperparameters)
{
    /// <summary>The rows' local indices in the shard, when they were asked for by id (serving); empty for a page.</summary>
    [Id(5)]
    public int[] Local { get; init; } = [];
}
