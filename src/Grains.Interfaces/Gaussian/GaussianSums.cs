namespace Hpf.Cluster.Grains.Interfaces;

/// <summary>
/// What the population update and the bound need of one side's rows, q(z) = N(m, Σ) with z = (factors, bias): the
/// number of rows, Σ m [D], Σ E[zzᵀ] = Σ (Σ + mmᵀ) [D × D], and Σ log det Σ. Shards send theirs; the
/// coordinator adds them up in shard order, as it adds HPF's column sums.
/// </summary>
[GenerateSerializer, Immutable, Alias("hpf.gaussian.GaussianSideSums")]
public sealed record GaussianSideSums(long Rows, double[] Sum, double[] SumOuter, double LogDetSum)
{
    public static GaussianSideSums Zero(int dimension) => new(0, new double[dimension], new double[dimension * dimension], 0);

    /// <summary>The sums of two sets of rows.</summary>
    public GaussianSideSums Plus(GaussianSideSums other)
    {
        var sum = (double[])Sum.Clone();
        var squares = (double[])SumOuter.Clone();
        for (var d = 0; d < sum.Length; d++) sum[d] += other.Sum[d];
        for (var j = 0; j < squares.Length; j++) squares[j] += other.SumOuter[j];
        return new GaussianSideSums(Rows + other.Rows, sum, squares, LogDetSum + other.LogDetSum);
    }
}

/// <summary>
/// What μ, σ² and the bound's likelihood term need of the training ratings under q, with s = x·y + b + c the part of a
/// rating's mean that the rows make: the count, Σ r, Σ r², Σ E[s], Σ r·E[s] and Σ E[s²]. They do not depend on μ or σ².
/// </summary>
[GenerateSerializer, Immutable, Alias("hpf.gaussian.GaussianFitSums")]
public sealed record GaussianFitSums(long Count, double Rating, double RatingSquared, double Expected, double RatingTimesExpected, double ExpectedSquared)
{
    public static GaussianFitSums Zero { get; } = new(0, 0, 0, 0, 0, 0);

    public GaussianFitSums Plus(GaussianFitSums o) => new(Count + o.Count, Rating + o.Rating, RatingSquared + o.RatingSquared,
        Expected + o.Expected, RatingTimesExpected + o.RatingTimesExpected, ExpectedSquared + o.ExpectedSquared);

    /// <summary>Σ E[(r − μ − s)²] over the ratings.</summary>
    public double SquaredError(double mu) =>
        RatingSquared - 2 * mu * Rating + Count * mu * mu - 2 * (RatingTimesExpected - mu * Expected) + ExpectedSquared;
}
