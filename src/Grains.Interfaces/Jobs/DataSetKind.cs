namespace Hpf.Cluster.Grains.Interfaces;

/// <summary>Which of a job's data sets an upload carries.</summary>
public enum DataSetKind
{
    /// <summary>The nonzeros the model is fitted to.</summary>
    Training,
    /// <summary>Held-out nonzeros for the val-llk rule and the curve.</summary>
    Validation,
}
