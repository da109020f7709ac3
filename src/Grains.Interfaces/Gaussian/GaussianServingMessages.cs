namespace Hpf.Cluster.Grains.Interfaces;

/// <summary>
/// A trained user of a Gaussian job as its user shard serves it: the posterior mean and covariance of (factors, bias),
/// D = K + 1 and D × D entries, and the items they rated as local indices at each item shard.
/// </summary>
[GenerateSerializer, Immutable, Alias("hpf.gaussian.GaussianServedUser")]
public sealed record GaussianServedUser(string User, double[] Mean, double[] Covariance, int[][] SeenByItemShard);

/// <summary>
/// An item shard's best <paramref name="Count"/> items of a Gaussian job for a user's posterior mean
/// <paramref name="UserMean"/> (score: the predicted rating's mean μ + m_uᵀ m_i with the biases), leaving out the local
/// indices in <paramref name="Exclude"/>, and, when <paramref name="Pool"/> is given, only among those item ids.
/// </summary>
[GenerateSerializer, Immutable, Alias("hpf.gaussian.GaussianTopItemsRequest")]
public sealed record GaussianTopItemsRequest(double[] UserMean, double Mu, int Count, int[] Exclude, string[]? Pool);

/// <summary>Items best first with their predicted mean ratings (float64); equal scores in ordinal id order.</summary>
[GenerateSerializer, Immutable, Alias("hpf.gaussian.GaussianRankedItems")]
public sealed record GaussianRankedItems(string[] Items, double[] Scores);

/// <summary>
/// A Gaussian model's errors on a test set: <paramref name="Ratings"/> scored, <paramref name="ColdStart"/> of them with a
/// user or item the model had not seen (predicted from the population prior), RMSE, MAE and the mean log-density of
/// the predictive distribution over all of them.
/// </summary>
[GenerateSerializer, Immutable, Alias("hpf.gaussian.GaussianRatingErrors")]
public sealed record GaussianRatingErrors(long Ratings, long ColdStart, double Rmse, double Mae, double MeanLogDensity);
