using System.Text.Json.Serialization;

namespace Hpf.Cluster.Grains.Interfaces;

/// <summary>When training stops (HPF-MATH.md, "Objectives"); MaxIterations bounds every rule. JSON names are the console's words.</summary>
public enum StopRule
{
    /// <summary>Run exactly MaxIterations.</summary>
    [JsonStringEnumMemberName("maxiter")]
    MaxIter,
    /// <summary>Every CheckEvery iterations, stop when the relative gain of the training log-likelihood is ≤ threshold.</summary>
    TrainLlk,
    /// <summary>As TrainLlk, on the validation set.</summary>
    ValLlk,
    /// <summary>Every CheckEvery iterations, stop when ‖E[θ] − E[θ] at the previous check‖₂ is below threshold.</summary>
    [JsonStringEnumMemberName("diffnorm")]
    DiffNorm,
}
