namespace Hpf.Cluster.Grains.Engine;

/// <summary>A progress report, sent after every iteration.</summary>
/// <param name="Iteration">Iterations done (1-based); for SVI one iteration is one epoch.</param>
/// <param name="MaxIterations">The upper bound.</param>
/// <param name="LogLikelihood">The latest checked log-likelihood (train or validation, per the stop rule), if any yet.</param>
/// <param name="Elapsed">Training time so far, loading excluded.</param>
/// <param name="Remaining">Estimated time to MaxIterations at the mean pace so far.</param>
public sealed record TrainingProgress(int Iteration, int MaxIterations, double? LogLikelihood, TimeSpan Elapsed, TimeSpan? Remaining);
