using Hpf.Cluster.Grains.Evaluation;

namespace Hpf.Cluster.Client.CrossValidation;

/// <summary>A fold's model scored on the fold's test set.</summary>
internal sealed record FoldScore(int Fold, int TrainNonzeros, int TestNonzeros, EvaluationReport Report)
{
    /// <summary>A Gaussian model's RMSE and MAE over the fold's test ratings; null for HPF.</summary>
    public Grains.Engine.Gaussian.RatingErrors? Ratings { get; init; }

    /// <summary>Seconds the fold's training took (a Gaussian fold reports it beside its errors).</summary>
    public double? TrainingSeconds { get; init; }
}
