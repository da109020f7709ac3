namespace Hpf.Cluster.Client.Tests;

/// <summary>
/// A small sampled dataset split into train and test files, and a job trained on it through the command line
/// (K = 4, 12 iterations, one thread): shared by the tests of the commands that use a saved job.
/// </summary>
public sealed class TrainedJob : IAsyncLifetime, IDisposable
{
    public const string Name = "sample";
    public const int Factors = 4;
    public const int Iterations = 12;
    private readonly ScratchDirectory _scratch = new();

    public string Root => _scratch.Root;
    public string DataDirectory => _scratch.DataDirectory;
    public string SynthFile => _scratch.File("sampled.tsv");
    public string TrainFile => _scratch.File("train.tsv");
    public string TestFile => _scratch.File("test.tsv");
    public string ExportDirectory => _scratch.File("export");
    internal CliRun Synth { get; private set; } = null!;
    internal CliRun Train { get; private set; } = null!;

    /// <summary>The first user of the training file, so certainly known to the model.</summary>
    public string KnownUser { get; private set; } = "";
    public string KnownItem { get; private set; } = "";

    public async Task InitializeAsync()
    {
        Synth = await CliRun.Of("synth", "--users", "120", "--items", "80", "--factors", "3", "--seed", "7", "--out", SynthFile);
        Synth.Succeeded();
        // Every fifth line is held out: a test set whose users and items the training set mostly knows.
        var lines = await File.ReadAllLinesAsync(SynthFile);
        await File.WriteAllLinesAsync(TrainFile, lines.Where((_, n) => n % 5 != 0));
        await File.WriteAllLinesAsync(TestFile, lines.Where((_, n) => n % 5 == 0));
        var first = lines[1].Split('\t');
        (KnownUser, KnownItem) = (first[0], first[1]);

        Train = await CliRun.Of(
            "--data-dir", DataDirectory, "train", TrainFile, "--job", Name, "--k", $"{Factors}", "--max-iter", $"{Iterations}",
            "--stop", "maxiter", "--check-every", "4", "--threads", "1", "--seed", "3", "--validation", TestFile, "--export", ExportDirectory);
        Train.Succeeded();
    }

    public Task DisposeAsync() => Task.CompletedTask;

    public void Dispose() => _scratch.Dispose();
}
