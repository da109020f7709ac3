namespace Hpf.Cluster.Grains.Interfaces;

/// <summary>One point of the log-likelihood curve: the training log-likelihood (full, with log y!) and, when a validation set was given, the mean held-out log-likelihood per validation nonzero.</summary>
[GenerateSerializer, Immutable, Alias("hpf.LikelihoodPoint")]
public sealed record LikelihoodPoint(int Iteration, double TrainLogLikelihood, double? ValidationLogLikelihood, double Seconds);
