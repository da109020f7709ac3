namespace Hpf.Cluster.Benchmarks;

/// <summary>What a serving benchmark calls: top-10 for one user, through <c>JobModelQueries</c> or through the HTTP endpoint.</summary>
internal interface IServingBenchTarget : IAsyncDisposable
{
    /// <returns>How many items came back (10), so that the call cannot be optimised away and a broken one shows.</returns>
    Task<int> TopTenAsync(string user, CancellationToken cancellationToken);
}
