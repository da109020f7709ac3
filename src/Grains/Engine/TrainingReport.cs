using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Grains.Engine;

/// <summary>What a training run did: how long, how far, and why it stopped.</summary>
public sealed record TrainingReport(
    int Iterations,
    double SecondsPerIteration,
    double TrainingSeconds,
    string StopReason,
    IReadOnlyList<LikelihoodPoint> Curve);
