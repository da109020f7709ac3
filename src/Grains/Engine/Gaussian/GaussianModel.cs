using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Grains.Engine.Gaussian;

/// <summary>A predicted rating: the predictive mean and standard deviation (noise included).</summary>
public readonly record struct RatingPrediction(double Mean, double StandardDeviation);

/// <summary>
/// A trained hierarchical Gaussian model of ratings: each user's and item's q(z) = N(m, Σ) over (factors, bias), the
/// global mean μ, the noise variance σ² and both sides' learnt population priors. A user or item the model has not
/// seen is served from its side's population prior (cold start).
/// </summary>
public sealed class GaussianModel
{
    public GaussianModel(TrainingOptions options, GaussianRows users, GaussianRows items, GaussianHyperparameters hyperparameters)
    {
        if (users.Factors != options.Factors || items.Factors != options.Factors) throw new ArgumentException("the rows' K is not the options' K");
        Options = options;
        Users = users;
        Items = items;
        Hyperparameters = hyperparameters;
    }

    public TrainingOptions Options { get; }
    public GaussianRows Users { get; }
    public GaussianRows Items { get; }
    public GaussianHyperparameters Hyperparameters { get; }
    public int Factors => Options.Factors;
    public string[] UserIds => Users.Ids;
    public string[] ItemIds => Items.Ids;

    public int IndexOfUser(string id) => IndexOf(UserIds, id);
    public int IndexOfItem(string id) => IndexOf(ItemIds, id);

    /// <summary>User <paramref name="user"/>'s posterior mean and covariance; the population prior for −1 (a user with no ratings).</summary>
    public (double[] Mean, double[] Covariance) UserPosterior(int user) => Posterior(Users, Hyperparameters.Users, user);

    /// <summary>Item <paramref name="item"/>'s posterior; the population prior for −1.</summary>
    public (double[] Mean, double[] Covariance) ItemPosterior(int item) => Posterior(Items, Hyperparameters.Items, item);

    /// <summary>The predictive distribution of a rating: mean μ + E[s], variance σ² + Var[s] under q.</summary>
    public RatingPrediction Predict(int user, int item) => Predict(UserPosterior(user), item);

    /// <summary>The prediction for a user given by its posterior (a folded-in or cold-start user).</summary>
    public RatingPrediction Predict((double[] Mean, double[] Covariance) user, int item)
    {
        var (itemMean, itemCovariance) = ItemPosterior(item);
        var d = Factors + 1;
        var moments = new double[GaussianRows.MomentStride(Factors)];
        moments[..d].AsSpan().Clear();
        itemMean.CopyTo(moments, 0);
        for (var j = 0; j < d; j++)
        {
            for (var l = 0; l < d; l++) moments[d + j * d + l] = itemCovariance[j * d + l] + itemMean[j] * itemMean[l];
        }
        var fit = new double[6];
        GaussianRowUpdate.FitTerms([0], [0f], moments, Factors, user.Mean, user.Covariance, fit, new GaussianRowUpdate.Scratch(d));
        var h = Hyperparameters;
        var variance = h.NoiseVariance + Math.Max(0, fit[5] - fit[3] * fit[3]);
        return new RatingPrediction(h.Mu + fit[3], Math.Sqrt(variance));
    }

    /// <summary>
    /// A new user's posterior from a few ratings of known items (fold-in): the user row's update against the trained
    /// items and the user population prior, the items left as they are. No ratings: the prior itself.
    /// </summary>
    /// <exception cref="ArgumentException">An item index is out of range.</exception>
    public (double[] Mean, double[] Covariance) FoldIn(ReadOnlySpan<int> items, ReadOnlySpan<float> ratings)
    {
        if (items.Length == 0) return UserPosterior(-1);
        var d = Factors + 1;
        var stride = GaussianRows.MomentStride(Factors);
        var moments = new double[items.Length * stride];
        var others = new int[items.Length];
        for (var n = 0; n < items.Length; n++)
        {
            if (items[n] < 0 || items[n] >= Items.Rows) throw new ArgumentException($"item index {items[n]} is not in the model");
            Items.WriteMoments(items[n], moments.AsSpan(n * stride, stride));
            others[n] = n;
        }
        var mean = new double[d];
        var covariance = new double[d * d];
        var h = Hyperparameters;
        if (!GaussianRowUpdate.Update(others, ratings, moments, Factors, new GaussianRowUpdate.PriorPrecision(h.Users), h.Mu, h.NoiseVariance, mean, covariance, new double[6], new GaussianRowUpdate.Scratch(d)))
            throw new ArgumentException("the ratings give no finite posterior");
        return (mean, covariance);
    }

    private static (double[] Mean, double[] Covariance) Posterior(GaussianRows rows, GaussianPopulation prior, int row)
    {
        var d = rows.Dimension;
        if (row < 0)
        {
            var covariance = new double[d * d];
            prior.Covariance.CopyTo(covariance, 0);
            return ((double[])prior.Mean.Clone(), covariance);
        }
        return (rows.Mean.AsSpan(row * d, d).ToArray(), rows.Covariance.AsSpan(row * d * d, d * d).ToArray());
    }

    private static int IndexOf(string[] sortedIds, string id)
    {
        var i = Array.BinarySearch(sortedIds, id, StringComparer.Ordinal);
        return i >= 0 ? i : -1;
    }
}
