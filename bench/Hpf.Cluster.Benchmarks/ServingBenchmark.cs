namespace Hpf.Cluster.Benchmarks;

/// <summary>
/// The cluster a serving benchmark case queries: 1 or 3 silos, asked through <c>JobModelQueries</c> or HTTP, started
/// and trained in GlobalSetup (each case its own cluster, so that one case's activations do not warm another's).
/// </summary>
public abstract class ServingBenchmark
{
    private IServingBenchTarget? _target;
    private string[] _users = [];
    private int _next;

    [BenchmarkDotNet.Attributes.Params(1, 3)]
    public int Silos { get; set; }

    [BenchmarkDotNet.Attributes.ParamsAllValues]
    public ServingTargetKind Path { get; set; }

    [BenchmarkDotNet.Attributes.GlobalSetup]
    public void Setup()
    {
        _users = ServingBenchData.Users();
        _target = Path == ServingTargetKind.Http
            ? ServingHttpTarget.StartAsync(Silos, CancellationToken.None).GetAwaiter().GetResult()
            : ServingQueriesTarget.StartAsync(Silos, CancellationToken.None).GetAwaiter().GetResult();
    }

    [BenchmarkDotNet.Attributes.GlobalCleanup]
    public void Cleanup() => _target?.DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>Top-10 for the next user of a shuffled round, checked (a call that returned fewer than 10 items fails the run).</summary>
    protected async Task TopTenForNextUserAsync()
    {
        var user = _users[(int)((uint)Interlocked.Increment(ref _next) % (uint)_users.Length)];
        var items = await (_target ?? throw new InvalidOperationException("the cluster starts in GlobalSetup")).TopTenAsync(user, CancellationToken.None);
        if (items != 10) throw new InvalidOperationException($"top-10 for user '{user}' returned {items} items");
    }
}
