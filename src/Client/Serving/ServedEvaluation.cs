using Hpf.Cluster.Grains.Engine.Gaussian;
using Hpf.Cluster.Grains.Evaluation;

namespace Hpf.Cluster.Client.Serving;

/// <summary>A model's scores on a test set, and which model was scored: the iteration, and whether it was a training job's last checkpoint.</summary>
internal sealed record ServedEvaluation(EvaluationReport Report, int ServedIteration, bool FromCheckpoint)
{
    /// <summary>A Gaussian model's RMSE and MAE over every test rating; null for HPF.</summary>
    public RatingErrors? Ratings { get; init; }
}
