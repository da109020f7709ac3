using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Engine;

namespace Hpf.Cluster.Grains.Kernels;

/// <summary>
/// The ELBO of HPF-MATH.md with φ at its optimum, in float64. Too dear to print every step at scale;
/// the tests use it to check that every half-step is an ascent step. An ensemble's is the sum of its members'
/// (<see cref="FactorMembers"/>): each member is its own HPF model of the whole data, so each half-step raises
/// every member's bound and the sum.
/// </summary>
public static class EvidenceLowerBound
{
    public static double Compute(HpfModel model, Dataset data)
    {
        var p = model.Options.Priors;
        var k = model.Factors;
        var members = new FactorMembers(k, model.Options.Members, SimdWidth.Scalar);
        var elogTheta = ExpectedLogs(model.UserShape, model.UserRate);
        var elogBeta = ExpectedLogs(model.ItemShape, model.ItemRate);

        // Σ_nonzeros [y·log Σ_k exp(E[log θ_uk] + E[log β_ik]) − log y!]
        double likelihood = 0;
        for (var u = 0; u < data.Users; u++)
        {
            var others = data.ByUser.OthersOf(u);
            var counts = data.ByUser.CountsOf(u);
            for (var n = 0; n < others.Length; n++)
                likelihood += counts[n] * LogSumExp(elogTheta, u * k, elogBeta, others[n] * k, members);
        }
        likelihood -= members.Count * data.SumLogFactorial;

        // − Σ_k (Σ_u E[θ_uk])(Σ_i E[β_ik])
        var thetaSums = ColumnSums(model.UserShape, model.UserRate, k);
        var betaSums = ColumnSums(model.ItemShape, model.ItemRate, k);
        for (var f = 0; f < k; f++) likelihood -= thetaSums[f] * betaSums[f];

        return likelihood
            + Side(model.UserShape, model.UserRate, elogTheta, model.UserActivityRate, members, p.A, p.APrime, p.BPrime)
            + Side(model.ItemShape, model.ItemRate, elogBeta, model.ItemPopularityRate, members, p.C, p.CPrime, p.DPrime);
    }

    /// <summary>
    /// The prior and entropy terms of some rows of one side (a shard's rows): factors with shape prior
    /// <paramref name="a"/>, activities with <paramref name="aPrime"/>, <paramref name="bPrime"/>.
    /// </summary>
    /// <param name="activityRate">[rows × members].</param>
    public static double RowTerms(float[] shape, float[] rate, float[] activityRate, FactorMembers members, double a, double aPrime, double bPrime) =>
        Side(shape, rate, ExpectedLogs(shape, rate), activityRate, members, a, aPrime, bPrime);

    /// <summary>
    /// Σ over the nonzeros of <paramref name="rows"/> and the members of y·log Σ_{k∈member} exp(E[log x_rk] + E[log o_k]), without log y!, with
    /// the counterparts' E[log] taken in float64 from their parameters (<paramref name="otherShape"/>,
    /// <paramref name="otherRate"/>, [rows × K], indexed by the nonzeros): a shard's part of the ELBO's first line.
    /// </summary>
    public static double NonzeroTerm(SparseRows rows, float[] shape, float[] rate, float[] otherShape, float[] otherRate, FactorMembers members)
    {
        var k = members.Factors;
        var elogRows = ExpectedLogs(shape, rate);
        var elogOthers = ExpectedLogs(otherShape, otherRate);
        double likelihood = 0;
        for (var u = 0; u < rows.Rows; u++)
        {
            var others = rows.OthersOf(u);
            var counts = rows.CountsOf(u);
            for (var n = 0; n < others.Length; n++)
                likelihood += counts[n] * LogSumExp(elogRows, u * k, elogOthers, others[n] * k, members);
        }
        return likelihood;
    }

    /// <summary>Σ over the members of log Σ_{k∈member} exp(a_k + b_k).</summary>
    private static double LogSumExp(double[] a, int aStart, double[] b, int bStart, FactorMembers members)
    {
        double total = 0;
        for (var m = 0; m < members.Count; m++)
        {
            var from = members.FactorStart(m);
            var to = from + members.FactorCount(m);
            var max = double.NegativeInfinity;
            for (var f = from; f < to; f++) max = Math.Max(max, a[aStart + f] + b[bStart + f]);
            double sum = 0;
            for (var f = from; f < to; f++) sum += Math.Exp(a[aStart + f] + b[bStart + f] - max);
            total += max + Math.Log(sum);
        }
        return total;
    }

    /// <summary>The prior and entropy terms of one side: factors x with shape prior a, each member's activities with a', b'.</summary>
    private static double Side(float[] shape, float[] rate, double[] elog, float[] activityRate, FactorMembers members, double a, double aPrime, double bPrime)
    {
        var k = members.Factors;
        var rows = activityRate.Length / members.Count;
        var lgA = SpecialFunctions.LogGamma(a);
        var lgAPrime = SpecialFunctions.LogGamma(aPrime);
        double total = 0;
        for (var m = 0; m < members.Count; m++)
        {
            var activityShape = aPrime + members.FactorCount(m) * a;
            var lgActivityShape = SpecialFunctions.LogGamma(activityShape);
            var digammaActivityShape = SpecialFunctions.Digamma(activityShape);
            var from = members.FactorStart(m);
            var to = from + members.FactorCount(m);
            for (var r = 0; r < rows; r++)
            {
                double activityRateR = activityRate[r * members.Count + m];
                var expectedActivity = activityShape / activityRateR;
                var elogActivity = digammaActivityShape - Math.Log(activityRateR);
                for (var f = from; f < to; f++)
                {
                    double shp = shape[r * k + f], rte = rate[r * k + f];
                    var expected = shp / rte;
                    var el = elog[r * k + f];
                    total += a * elogActivity - lgA + (a - 1) * el - expectedActivity * expected;     // E[log p(x | activity)]
                    total -= shp * Math.Log(rte) - SpecialFunctions.LogGamma(shp) + (shp - 1) * el - shp; // − E[log q(x)]
                }
                total += aPrime * Math.Log(aPrime / bPrime) - lgAPrime + (aPrime - 1) * elogActivity - aPrime / bPrime * expectedActivity;
                total -= activityShape * Math.Log(activityRateR) - lgActivityShape + (activityShape - 1) * elogActivity - activityShape;
            }
        }
        return total;
    }

    private static double[] ExpectedLogs(float[] shape, float[] rate)
    {
        var result = new double[shape.Length];
        for (var j = 0; j < shape.Length; j++) result[j] = SpecialFunctions.Digamma((double)shape[j]) - Math.Log(rate[j]);
        return result;
    }

    private static double[] ColumnSums(float[] shape, float[] rate, int k)
    {
        var sums = new double[k];
        for (var j = 0; j < shape.Length; j++) sums[j % k] += (double)shape[j] / rate[j];
        return sums;
    }
}
