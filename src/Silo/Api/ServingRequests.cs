using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Silo.Api;

// The bodies of the serving endpoints (/api/jobs/{job}/recommendations, cold-start, predictions, fold-in, users): one
// family of small records. Properties are nullable so that a missing one is a 400 that names it, not a null deep inside.

/// <summary><c>POST /api/jobs/{job}/recommendations</c>: the user's top <see cref="N"/> items.</summary>
public sealed record RecommendRequest
{
    public string? User { get; init; }

    /// <summary>How many items, 1 to <see cref="ServingProblems.MaxItems"/>.</summary>
    public int N { get; init; } = 10;

    /// <summary>Also rank the items the user has counts for (left out by default).</summary>
    public bool IncludeSeen { get; init; }

    /// <summary>Rank only these item ids (ids the model lacks are ignored); omitted: every item.</summary>
    public string[]? Pool { get; init; }

    /// <summary>A budget job: rank only the items of this group.</summary>
    public string? Group { get; init; }

    /// <summary>A budget job: rank the groups by E[x_u]·Σ_{s∈a}E[β_s] instead of items.</summary>
    public bool GroupsOnly { get; init; }
}

/// <summary><c>POST /api/jobs/{job}/cold-start</c>: the top items for a user with no data (the prior predictive).</summary>
public sealed record ColdStartRequest
{
    public int N { get; init; } = 10;
    public string[]? Pool { get; init; }

    /// <summary>A budget job: rank only the items of this group.</summary>
    public string? Group { get; init; }

    /// <summary>A budget job: rank the groups by Σ_{s∈a}E[β_s] instead of items.</summary>
    public bool GroupsOnly { get; init; }
}

/// <summary><c>POST /api/jobs/{job}/predictions</c>: E[θ_u]·E[β_i] for each pair, in order.</summary>
public sealed record PredictRequest
{
    public PredictionPair[]? Pairs { get; init; }
}

/// <summary>One (user, item) pair of a <see cref="PredictRequest"/>.</summary>
public sealed record PredictionPair(string? User, string? Item);

/// <summary>
/// <c>POST /api/jobs/{job}/fold-in</c>: a user's factors from their counts with the items held fixed, and their top
/// <see cref="N"/> items among those not counted (0: the factors only). Nothing is stored.
/// </summary>
public sealed record FoldInRequest
{
    /// <summary>Seeds the initialisation as a trained user of that id would be seeded; omitted for an anonymous user.</summary>
    public string? User { get; init; }
    public ItemCount[]? Counts { get; init; }
    public int N { get; init; } = 10;
}

/// <summary><c>POST /api/jobs/{job}/users</c>: fold a user in and store them, so later requests serve them like a trained user.</summary>
public sealed record AddUserRequest
{
    public string? User { get; init; }
    public ItemCount[]? Counts { get; init; }

    /// <summary>Replace a user the model already has (trained or added) instead of answering 409.</summary>
    public bool UpdateExisting { get; init; }
}
