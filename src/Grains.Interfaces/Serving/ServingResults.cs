namespace Hpf.Cluster.Grains.Interfaces;

/// <summary>One recommended item and its score E[θ_u]·E[β_i] (the predicted count).</summary>
[GenerateSerializer, Immutable, Alias("hpf.Recommendation")]
public sealed record Recommendation(string Item, double Score);

/// <summary>
/// Items for a user, best first. <paramref name="FromCheckpoint"/>: the job is still training and this came from the
/// model at its last complete checkpoint, iteration <paramref name="ServedIteration"/>.
/// </summary>
[GenerateSerializer, Immutable, Alias("hpf.RecommendationList")]
public sealed record RecommendationList(string Job, string? User, int ServedIteration, bool FromCheckpoint, Recommendation[] Items);

/// <summary>The predicted count E[θ_u]·E[β_i] of a (user, item) pair.</summary>
[GenerateSerializer, Immutable, Alias("hpf.Prediction")]
public sealed record Prediction(string User, string Item, double Score)
{
    /// <summary>A Gaussian model's predictive standard deviation of the rating (its mean is the score); null for HPF.</summary>
    [Id(3)]
    public double? StandardDeviation { get; init; }

    /// <summary>The user was unknown and the prediction comes from the population prior (Gaussian cold start).</summary>
    [Id(4)]
    public bool FromPrior { get; init; }
}

/// <summary>Predictions for pairs, in the order asked, and where the model came from.</summary>
[GenerateSerializer, Immutable, Alias("hpf.PredictionList")]
public sealed record PredictionList(string Job, int ServedIteration, bool FromCheckpoint, Prediction[] Predictions);

/// <summary>
/// A user's factors folded in from their counts with the items held fixed (hpfrec's predict_factors): E[θ] and the
/// Gamma parameters, how many local updates it took, the items of the counts the model does not know (left out),
/// and the user's top items among those they have not counted.
/// </summary>
[GenerateSerializer, Immutable, Alias("hpf.FoldInResult")]
public sealed record FoldInResult(string Job, string? User, float[] Theta, float[] Shape, float[] Rate, float[] ActivityRate, int Updates,
    string[] UnknownItems, Recommendation[] Items)
{
    /// <summary>A Gaussian model's fold-in: Theta is the posterior mean of (factors, bias), Shape and Rate are empty.</summary>
    [Id(9)]
    public bool Ratings { get; init; }
}

/// <summary>A (item, count) of a user's data given to fold-in or add-user.</summary>
[GenerateSerializer, Immutable, Alias("hpf.ItemCount")]
public sealed record ItemCount(string Item, double Count);

/// <summary>
/// A model's scores on a test set, computed through the cluster as the engine computes them: held-out Poisson
/// log-likelihood per scored test nonzero, precision, recall and NDCG at K over users with scored test items.
/// </summary>
[GenerateSerializer, Immutable, Alias("hpf.ClusterEvaluation")]
public sealed record ClusterEvaluation(string Job, int ServedIteration, bool FromCheckpoint, double HeldOutLogLikelihood, double PrecisionAtK,
    double RecallAtK, double NdcgAtK, int K, int UsersEvaluated, long TestNonzeros, long SkippedUnknownUser, long SkippedUnknownItem)
{
    /// <summary>A Gaussian job's errors of the predicted mean over every test rating (strangers from the population prior); null for HPF.</summary>
    [Id(12)]
    public GaussianRatingErrors? Ratings { get; init; }
}
