namespace Hpf.Cluster.Grains.Interfaces;

/// <summary>Which probabilistic model a job fits (<c>hpf train --model</c>); every model is trained and served by the same grains.</summary>
public enum ModelKind
{
    /// <summary>Hierarchical Poisson factorization of counts: the default.</summary>
    Poisson = 0,
}
