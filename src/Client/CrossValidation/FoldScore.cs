using Hpf.Cluster.Grains.Evaluation;

namespace Hpf.Cluster.Client.CrossValidation;

/// <summary>A fold's model scored on the fold's test set.</summary>
internal sealed record FoldScore(int Fold, int TrainNonzeros, int TestNonzeros, EvaluationReport Report);
