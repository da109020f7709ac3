using Hpf.Cluster.Grains;
using Hpf.Cluster.Grains.Interfaces;
using Hpf.Cluster.Grains.Loading;
using Hpf.Cluster.Grains.Serving;
using Microsoft.Extensions.DependencyInjection;

namespace Hpf.Cluster.Benchmarks;

/// <summary>
/// N silos of Orleans' in-process test cluster with the HPF grains (as <see cref="ClusterEndToEnd"/> starts them),
/// the job trained on them, and silo 0's <see cref="JobModelQueries"/>: what the HTTP endpoint calls, without HTTP.
/// </summary>
internal sealed class ServingQueriesTarget : IServingBenchTarget
{
    private readonly BenchCluster _cluster;
    private readonly JobModelQueries _queries;

    private ServingQueriesTarget(BenchCluster cluster)
    {
        _cluster = cluster;
        _queries = new JobModelQueries(cluster.Grains);
    }

    public static async Task<ServingQueriesTarget> StartAsync(int silos, CancellationToken cancellationToken)
    {
        var cluster = await BenchCluster.StartAsync(silos);
        var grains = cluster.Grains;
        var coordinator = grains.GetGrain<ICoordinatorGrain>(ServingBenchData.Job);
        await coordinator.Create(ServingBenchData.Spec(silos), replace: true, cancellationToken);
        await JobUpload.RunAsync(grains, ServingBenchData.Job, DataSetKind.Training, new MemoryStream(ServingBenchData.Tsv), "sampled.tsv", Grains.Data.DatasetFormat.Tsv, cancellationToken);
        await coordinator.Start(cancellationToken);
        JobStatus status;
        while (!(status = (await coordinator.GetStatus(cancellationToken))!).IsFinished) await Task.Delay(50, cancellationToken);
        if (status.State != JobState.Completed) throw new InvalidOperationException($"the job ended {status.State}: {status.Error}");
        var target = new ServingQueriesTarget(cluster);
        await target.TopTenAsync(ServingBenchData.Data.UserIds[0], cancellationToken);
        return target;
    }

    public async Task<int> TopTenAsync(string user, CancellationToken cancellationToken) =>
        (await _queries.RecommendAsync(ServingBenchData.Job, user, 10, includeSeen: false, pool: null, cancellationToken)).Items.Length;

    public ValueTask DisposeAsync() => _cluster.DisposeAsync();
}
