namespace Hpf.Cluster.Grains.Interfaces;

/// <summary>Which probabilistic model a job fits (<c>hpf train --model</c>); every model is trained and served by the same grains.</summary>
public enum ModelKind
{
    /// <summary>Hierarchical Poisson factorization of counts: the default.</summary>
    Poisson = 0,

    /// <summary>
    /// The user–group budget model (docs/maths.md, "The budget model"): items belong to groups (songs to artists), and
    /// a user's counts within a group are multinomial given the user's total for the group. Needs the item → group map.
    /// </summary>
    Budget = 1,

    /// <summary>
    /// Hierarchical Gaussian matrix factorization of explicit ratings (docs/maths.md, "Ratings"): r ~ N(μ + b_u + c_i +
    /// x_u·y_i, σ²) with learnt population priors on the user and item rows.
    /// </summary>
    Gaussian = 2,
}
