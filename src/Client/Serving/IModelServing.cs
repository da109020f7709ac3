using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Client.Serving;

/// <summary>
/// What the serving commands ask of a job's model, answered either by a cluster's grains (<see cref="ClusterModelServing"/>)
/// or by the saved job in this process (<see cref="SavedJobServing"/>), in the same result types, so that the commands
/// print the same tables and JSON either way. Refusals come out as the console's exit codes: an unknown user or item, no
/// such job, a job with no model to serve.
/// </summary>
internal interface IModelServing : IAsyncDisposable
{
    /// <summary>The job's name.</summary>
    string Job { get; }

    Task<RecommendationList> RecommendAsync(string user, int count, bool includeSeen, string[]? pool, CancellationToken cancellationToken);

    /// <summary>For a user with no data: the prior predictive ranks items by Σ_k E[β_ik].</summary>
    Task<RecommendationList> ColdStartAsync(int count, string[]? pool, CancellationToken cancellationToken);

    Task<PredictionList> PredictAsync(IReadOnlyList<(string User, string Item)> pairs, CancellationToken cancellationToken);

    /// <summary>θ from the counts with the items fixed, and the top <paramref name="count"/> items not counted (0: none); nothing is stored.</summary>
    Task<FoldInResult> FoldInAsync(string? user, IReadOnlyList<ItemCount> counts, int count, CancellationToken cancellationToken);

    /// <summary>Folds the user in and stores them with the model, so that later requests serve them like a trained user.</summary>
    Task<FoldInResult> AddUserAsync(string user, IReadOnlyList<ItemCount> counts, bool updateExisting, CancellationToken cancellationToken);

    Task<ServedEvaluation> EvaluateAsync(string testFile, DatasetFormat format, bool header, int k, int threads, CancellationToken cancellationToken);
}
