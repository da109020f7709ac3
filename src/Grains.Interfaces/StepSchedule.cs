namespace Hpf.Cluster.Grains.Interfaces;

/// <summary>How SVI counts t in ρ_t = (t + τ0)^(−κ).</summary>
public enum StepSchedule
{
    /// <summary>One global clock: t is the number of mini-batches taken so far (Hoffman et al.).</summary>
    Global,
    /// <summary>One clock per global row: t is the number of batches that touched that row (Gopalan's code); needs no global clock.</summary>
    PerRow,
}
