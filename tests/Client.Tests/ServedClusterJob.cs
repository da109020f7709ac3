using Hpf.Cluster.Grains.Data;

namespace Hpf.Cluster.Client.Tests;

/// <summary>
/// A one-silo cluster hosted in the test process with a job trained on it through <c>hpf train --cluster</c> (two user
/// and two item shards), which also saved the model in the local store: the same model on both sides, for comparing
/// what the serving commands answer with and without <c>--cluster</c>.
/// </summary>
public sealed class ServedClusterJob : IAsyncLifetime, IDisposable
{
    public const string Name = "served";
    public const int Factors = 4;
    public const int Iterations = 12;
    private readonly ScratchDirectory _scratch = new();

    internal ClusterUnderTest Cluster { get; private set; } = null!;
    internal ScratchDirectory Scratch => _scratch;
    public string DataDirectory => _scratch.DataDirectory;
    public string TrainFile => _scratch.File("train.tsv");
    public string TestFile => _scratch.File("test.tsv");
    public Dataset Train { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var sampled = _scratch.File("sampled.tsv");
        (await CliRun.Of("synth", "--users", "150", "--items", "90", "--factors", "3", "--seed", "17", "--out", sampled)).Succeeded();
        (await CliRun.Of("split", sampled, "--test-fraction", "0.2", "--seed", "2", "--train-out", TrainFile, "--test-out", TestFile)).Succeeded();
        Train = TripletFileReader.Read(TrainFile);
        Cluster = await ClusterUnderTest.StartAsync();
        (await CliRun.Of(["--data-dir", DataDirectory, "train", TrainFile, "--job", Name, "--k", $"{Factors}", "--max-iter", $"{Iterations}",
            "--stop", "maxiter", "--check-every", "4", "--threads", "1", "--seed", "5", "--user-shards", "2", "--item-shards", "2", .. Cluster.Arguments])).Succeeded();
    }

    /// <summary>The command line run against the local store; add <see cref="ClusterUnderTest.Arguments"/> to ask the cluster.</summary>
    internal Task<CliRun> Local(params string[] args) => CliRun.Of(["--data-dir", DataDirectory, .. args]);

    internal Task<CliRun> OnCluster(params string[] args) => CliRun.Of(["--data-dir", DataDirectory, .. args, .. Cluster.Arguments]);

    public async Task DisposeAsync() => await Cluster.DisposeAsync();

    public void Dispose() => _scratch.Dispose();
}
