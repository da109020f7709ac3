namespace Hpf.Cluster.Grains.Engine;

/// <summary>What one training iteration does: a user and an item half-step, or an SVI epoch.</summary>
internal interface ITrainingSchedule
{
    /// <summary>Runs iteration <paramref name="iteration"/> (1-based).</summary>
    /// <exception cref="HpfNumericException">A parameter came out NaN or ∞.</exception>
    void RunIteration(int iteration, CancellationToken cancellationToken);
}
