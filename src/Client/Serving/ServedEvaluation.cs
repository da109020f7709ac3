using Hpf.Cluster.Grains.Evaluation;

namespace Hpf.Cluster.Client.Serving;

/// <summary>A model's scores on a test set, and which model was scored: the iteration, and whether it was a training job's last checkpoint.</summary>
internal sealed record ServedEvaluation(EvaluationReport Report, int ServedIteration, bool FromCheckpoint);
