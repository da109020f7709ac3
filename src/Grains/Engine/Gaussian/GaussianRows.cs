using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Grains.Engine.Gaussian;

/// <summary>
/// One side's variational posteriors of the Gaussian model: for each row a full-covariance Gaussian q(z) = N(m, Σ) over
/// z = (its K factors, its bias), D = K + 1. Float64: the rows are few (D + D² numbers each) beside the ratings, and the
/// bound is checked to ascend step by step, which float32 rounding of Σ would blur.
/// </summary>
public sealed class GaussianRows
{
    /// <summary>Spread of the initial factor means (uniform in ±this); biases start at 0.</summary>
    private const double InitialSpread = 0.1;
    /// <summary>Initial posterior variance of every entry: small, so the first half-step sees nearly point rows.</summary>
    private const double InitialVariance = 0.01;

    public GaussianRows(string side, string[] ids, int factors)
    {
        Side = side;
        Ids = ids;
        Factors = factors;
        Mean = new double[ids.Length * Dimension];
        Covariance = new double[ids.Length * Dimension * Dimension];
    }

    public GaussianRows(string side, string[] ids, int factors, double[] mean, double[] covariance) : this(side, ids, factors)
    {
        if (mean.Length != Mean.Length || covariance.Length != Covariance.Length)
            throw new ArgumentException("the means and covariances do not match the ids and K");
        Mean = mean;
        Covariance = covariance;
    }

    public string Side { get; }
    public string[] Ids { get; }
    public int Factors { get; }
    /// <summary>D = K + 1: the factors, then the bias.</summary>
    public int Dimension => Factors + 1;
    public int Rows => Ids.Length;
    /// <summary>m per row, [rows × D].</summary>
    public double[] Mean { get; }
    /// <summary>Σ per row, [rows × D × D], row-major and symmetric.</summary>
    public double[] Covariance { get; }

    /// <summary>Numbers per row that the other side reads (<see cref="WriteMoments"/>): m, then E[zzᵀ].</summary>
    public static int MomentStride(int factors) => factors + 1 + (factors + 1) * (factors + 1);

    /// <summary>
    /// Starting values from the seed, the side and each row's id only, so a row starts the same however the data were
    /// ordered or sharded.
    /// </summary>
    public void Initialize(ulong seed)
    {
        var d = Dimension;
        Array.Clear(Covariance);
        for (var r = 0; r < Rows; r++)
        {
            var random = new RowRandom(seed, "gaussian-" + Side, Ids[r]);
            for (var f = 0; f < Factors; f++) Mean[r * d + f] = InitialSpread * (2.0 * random.NextFloat() - 1.0);
            Mean[r * d + Factors] = 0;
            for (var j = 0; j < d; j++) Covariance[(r * d + j) * d + j] = InitialVariance;
        }
    }

    /// <summary>Row <paramref name="row"/>'s m then E[zzᵀ] = Σ + mmᵀ into <paramref name="destination"/> (length <see cref="MomentStride"/>).</summary>
    public void WriteMoments(int row, Span<double> destination)
    {
        var d = Dimension;
        var mean = Mean.AsSpan(row * d, d);
        var covariance = Covariance.AsSpan(row * d * d, d * d);
        mean.CopyTo(destination);
        var second = destination.Slice(d, d * d);
        for (var j = 0; j < d; j++)
        {
            for (var l = 0; l < d; l++) second[j * d + l] = covariance[j * d + l] + mean[j] * mean[l];
        }
    }

    /// <summary>The moments of the listed rows, packed one after another in the list's order.</summary>
    public double[] Moments(ReadOnlySpan<int> rows)
    {
        var stride = MomentStride(Factors);
        var result = new double[rows.Length * stride];
        for (var i = 0; i < rows.Length; i++) WriteMoments(rows[i], result.AsSpan(i * stride, stride));
        return result;
    }

    /// <summary>The moments of every row in order.</summary>
    public double[] AllMoments()
    {
        var stride = MomentStride(Factors);
        var result = new double[Rows * stride];
        for (var r = 0; r < Rows; r++) WriteMoments(r, result.AsSpan(r * stride, stride));
        return result;
    }

    /// <summary>The side's sums for the population update and the bound.</summary>
    public GaussianSideSums Sums()
    {
        var d = Dimension;
        var sums = GaussianSideSums.Zero(d);
        double logDet = 0;
        var scratch = new double[d * d];
        for (var r = 0; r < Rows; r++)
        {
            for (var j = 0; j < d; j++)
            {
                var m = Mean[r * d + j];
                sums.Sum[j] += m;
                for (var l = 0; l < d; l++) sums.SumOuter[j * d + l] += Covariance[(r * d + j) * d + l] + m * Mean[r * d + l];
            }
            logDet += GaussianRowUpdate.LogDeterminant(Covariance.AsSpan(r * d * d, d * d), scratch, d);
        }
        return sums with { Rows = Rows, LogDetSum = logDet };
    }

    /// <summary>The id of the first row with a non-finite mean or covariance entry; null when all are finite.</summary>
    public string? FirstNonFinite()
    {
        var d = Dimension;
        for (var r = 0; r < Rows; r++)
        {
            foreach (var v in Mean.AsSpan(r * d, d)) if (!double.IsFinite(v)) return Ids[r];
            foreach (var v in Covariance.AsSpan(r * d * d, d * d)) if (!double.IsFinite(v)) return Ids[r];
        }
        return null;
    }
}
