using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Grains.Coordinator;

/// <summary>Where a running job is, as its training loop last reported (after every iteration); not persisted.</summary>
internal sealed record LiveProgress(int Iteration, double? LogLikelihood, double ElapsedSeconds, double? RemainingSeconds, long BytesMoved,
    long BytesLastHalfStep, LikelihoodPoint[] Curve, double[] ElboTrace, int Rollbacks, string? LastRollback, JobRollback[] RollbackHistory);
