using System.Text.Json;

namespace Hpf.Cluster.Client.Tests;

[Collection(TrainedJobCollection.Name)]
public sealed class TrainCommandTests(TrainedJob job) : IDisposable
{
    private readonly ScratchDirectory _scratch = new();

    public void Dispose() => _scratch.Dispose();

    [Fact]
    public async Task TheJobIsNamedAfterTheFileUnlessNamed()
    {
        var file = _scratch.File("my ratings.v2.tsv");
        File.Copy(job.TrainFile, file);
        var run = (await Train(file)).Succeeded();
        Assert.Contains("saved job 'my_ratings.v2'", run.Out);
        Assert.True(File.Exists(Path.Combine(_scratch.DataDirectory, "jobs", "my_ratings.v2", "model.bin")));
    }

    [Fact]
    public async Task TrainingAgainUnderTheSameNameReplacesTheJob()
    {
        (await Train(job.TrainFile, "--job", "twice", "--seed", "1")).Succeeded();
        var second = (await Train(job.TrainFile, "--job", "twice", "--seed", "2")).Succeeded();
        Assert.Contains("replaced job 'twice'", second.Out);
        var jobs = (await CliRun.Of("--data-dir", _scratch.DataDirectory, "jobs")).Succeeded();
        Assert.Single(jobs.Out.Split('\n'), line => line.Contains("twice"));
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(_scratch.DataDirectory, "jobs", "twice", "model.json")));
        Assert.Equal(2ul, manifest.RootElement.GetProperty("seed").GetUInt64());
    }

    [Fact]
    public async Task SviOptionsReachTheTrainerAndTheManifest()
    {
        (await Train(job.TrainFile, "--job", "svi", "--users-per-batch", "30", "--step-schedule", "per-row", "--step-kappa", "0.9")).Succeeded();
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(_scratch.DataDirectory, "jobs", "svi", "model.json")));
        var root = manifest.RootElement;
        Assert.Equal(30, root.GetProperty("usersPerBatch").GetInt32());
        Assert.Equal("per-row", root.GetProperty("stepSchedule").GetString());
        Assert.Equal(0.9, root.GetProperty("stepKappa").GetDouble());
    }

    [Fact]
    public async Task BatchFractionsReachTheManifestAndTrainSvi()
    {
        var run = (await Train(job.TrainFile, "--job", "fractions", "--user-batch-fraction", "0.25", "--item-batch-fraction", "0.5", "--in-process")).Succeeded();
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(_scratch.DataDirectory, "jobs", "fractions", "model.json")));
        var root = manifest.RootElement;
        Assert.Equal(0.25, root.GetProperty("userBatchFraction").GetDouble());
        Assert.Equal(0.5, root.GetProperty("itemBatchFraction").GetDouble());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("usersPerBatch").ValueKind);
        Assert.Contains("trained 3 iterations", run.Out);
    }

    [Fact]
    public async Task SviAlternatesUsersAndItemsInBatchesOfATenthUnlessAFractionIsGiven()
    {
        (await Train(job.TrainFile, "--job", "svi-default", "--svi", "--in-process")).Succeeded();
        (await Train(job.TrainFile, "--job", "svi-users", "--svi", "--user-batch-fraction", "0.25", "--in-process")).Succeeded();
        using var plain = JsonDocument.Parse(File.ReadAllText(Path.Combine(_scratch.DataDirectory, "jobs", "svi-default", "model.json")));
        Assert.Equal(0.1, plain.RootElement.GetProperty("userBatchFraction").GetDouble());
        Assert.Equal(0.1, plain.RootElement.GetProperty("itemBatchFraction").GetDouble());
        using var users = JsonDocument.Parse(File.ReadAllText(Path.Combine(_scratch.DataDirectory, "jobs", "svi-users", "model.json")));
        Assert.Equal(0.25, users.RootElement.GetProperty("userBatchFraction").GetDouble());
        Assert.Equal(0.1, users.RootElement.GetProperty("itemBatchFraction").GetDouble());
    }

    [Fact]
    public async Task WithoutMembersTheEnsembleFollowsK()
    {
        (await CliRun.Of("--data-dir", _scratch.DataDirectory, "train", job.TrainFile, "--job", "k100", "--k", "100", "--max-iter", "2", "--threads", "1", "--in-process")).Succeeded();
        (await CliRun.Of("--data-dir", _scratch.DataDirectory, "train", job.TrainFile, "--job", "k100m2", "--k", "100", "--members", "2", "--max-iter", "2", "--threads", "1", "--in-process")).Succeeded();
        using var followed = JsonDocument.Parse(File.ReadAllText(Path.Combine(_scratch.DataDirectory, "jobs", "k100", "model.json")));
        Assert.Equal(4, followed.RootElement.GetProperty("members").GetInt32());
        using var given = JsonDocument.Parse(File.ReadAllText(Path.Combine(_scratch.DataDirectory, "jobs", "k100m2", "model.json")));
        Assert.Equal(2, given.RootElement.GetProperty("members").GetInt32());
    }

    [Fact]
    public async Task AnEmptyDataDirectoryListsNoJobs()
    {
        var run = (await CliRun.Of("--data-dir", _scratch.DataDirectory, "jobs")).Succeeded();
        Assert.StartsWith("no jobs in ", run.Out);
    }

    private Task<CliRun> Train(string file, params string[] extra) =>
        CliRun.Of(["--data-dir", _scratch.DataDirectory, "train", file, "--k", "3", "--max-iter", "3", "--threads", "1", .. extra]);
}
