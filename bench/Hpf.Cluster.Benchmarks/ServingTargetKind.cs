namespace Hpf.Cluster.Benchmarks;

/// <summary>Which way a serving benchmark asks for top-10.</summary>
public enum ServingTargetKind
{
    /// <summary>Silo 0's <c>JobModelQueries</c>, called in process: the grain calls the endpoint makes, without HTTP.</summary>
    Queries,
    /// <summary><c>POST /api/jobs/{job}/recommendations</c> on silo 0's client API, JSON both ways.</summary>
    Http,
}
