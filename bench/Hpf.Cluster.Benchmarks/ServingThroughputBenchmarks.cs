using BenchmarkDotNet.Attributes;

namespace Hpf.Cluster.Benchmarks;

/// <summary>
/// Throughput of top-10 requests with 32 clients in flight, each asking for the next user as soon as its last answer
/// came: reported per request, so 1 / mean is requests per second.
/// </summary>
[Config(typeof(InProcessBenchmarkConfig))]
public class ServingThroughputBenchmarks : ServingBenchmark
{
    private const int Clients = 32;
    private const int RequestsPerClient = 8;

    [Benchmark(OperationsPerInvoke = Clients * RequestsPerClient)]
    public Task TopTenWith32Clients()
    {
        var clients = new Task[Clients];
        for (var c = 0; c < Clients; c++) clients[c] = Task.Run(ClientAsync);
        return Task.WhenAll(clients);

        async Task ClientAsync()
        {
            for (var r = 0; r < RequestsPerClient; r++) await TopTenForNextUserAsync();
        }
    }
}
