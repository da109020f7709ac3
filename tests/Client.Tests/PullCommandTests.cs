using System.Text.Json;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Interfaces;
using Hpf.Cluster.Grains.Tests.Engine;

namespace Hpf.Cluster.Client.Tests;

/// <summary>
/// <c>hpf pull JOB --cluster …</c> and <c>hpf export JOB --cluster … --out DIR</c> against a job trained on a cluster in
/// the test: the pulled job is the cluster's model with its training set, so it answers what the cluster answers
/// without the cluster; a job that is not there or has not completed is refused with its own exit code.
/// </summary>
public sealed class PullCommandTests(ServedClusterJob served) : IClassFixture<ServedClusterJob>, IDisposable
{
    private const string Job = ServedClusterJob.Name;
    private readonly ScratchDirectory _pulled = new();

    private Task<CliRun> Pulled(params string[] args) => CliRun.Of(["--data-dir", _pulled.DataDirectory, .. args]);

    [Fact]
    public async Task A_pulled_job_serves_without_the_cluster_what_the_cluster_serves()
    {
        var pull = (await Pulled(["pull", Job, .. served.Cluster.Arguments])).Succeeded();
        Assert.Contains($"pulled job '{Job}' from the cluster at {served.Cluster.Gateway}", pull.Out);
        Assert.Contains($"saved in {Path.Combine(_pulled.DataDirectory, "jobs", Job)}", pull.Out);

        // The same model and training set that train --cluster saved beside the file it read.
        var trained = new JobStore(served.DataDirectory).Open(Job);
        var pulled = new JobStore(_pulled.DataDirectory).Open(Job);
        ModelAssert.Identical(trained.LoadModel(), pulled.LoadModel());
        var train = pulled.LoadTrainingSet();
        Assert.Equal(served.Train.ByUser.RowStart, train.ByUser.RowStart);
        Assert.Equal(served.Train.ByUser.Other, train.ByUser.Other);
        Assert.Equal(served.Train.ByUser.Counts, train.ByUser.Counts);
        Assert.Equal(ServedClusterJob.Iterations, pulled.Manifest.Iterations);
        Assert.Equal(trained.Manifest.Curve.Select(p => p.Iteration), pulled.Manifest.Curve.Select(p => p.Iteration));
        Assert.Equal(served.TrainFile, pulled.Manifest.DataFile);

        // Recommendations (seen items left out, and with them) as the cluster gives them.
        foreach (var user in new[] { served.Train.UserIds[0], served.Train.UserIds[7], served.Train.UserIds[^1] })
        {
            foreach (var extra in new[] { Array.Empty<string>(), ["--include-seen"] })
            {
                using var local = Json((await Pulled(["recommend", Job, "--user", user, "-n", "8", "--json", .. extra])).Succeeded());
                using var remote = Json((await served.OnCluster(["recommend", Job, "--user", user, "-n", "8", "--json", .. extra])).Succeeded());
                Assert.Equal(Items(remote), Items(local));
                var (x, y) = (Scores(remote), Scores(local));
                for (var n = 0; n < x.Count; n++) Assert.Equal(x[n], y[n], 1e-5 * Math.Abs(x[n]));
            }
        }
        // Evaluated as the job train --cluster saved is evaluated.
        var evaluatePulled = (await Pulled("evaluate", Job, "--test", served.TestFile, "--json")).Succeeded();
        var evaluateTrained = (await served.Local("evaluate", Job, "--test", served.TestFile, "--json")).Succeeded();
        Assert.Equal(evaluateTrained.Out, evaluatePulled.Out);

        // Pulled again, it replaces itself.
        Assert.Contains("replaced in", (await Pulled(["pull", Job, .. served.Cluster.Arguments])).Succeeded().Out);
    }

    [Fact]
    public async Task Export_from_the_cluster_writes_the_factors_the_saved_job_exports()
    {
        var fromCluster = _pulled.File("from-cluster");
        var fromSaved = _pulled.File("from-saved");
        (await Pulled(["export", Job, "--out", fromCluster, .. served.Cluster.Arguments])).Succeeded();
        (await served.Local("export", Job, "--out", fromSaved)).Succeeded();
        foreach (var file in new[] { JobStore.ThetaFileName, JobStore.BetaFileName })
            Assert.Equal(File.ReadAllBytes(Path.Combine(fromSaved, file)), File.ReadAllBytes(Path.Combine(fromCluster, file)));
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(fromCluster, JobStore.ManifestFileName)));
        Assert.Equal(Job, manifest.RootElement.GetProperty("name").GetString());
        // Nothing was saved locally by the export.
        Assert.False(new JobStore(_pulled.DataDirectory).Exists(Job));
    }

    [Fact]
    public async Task A_job_that_is_not_there_or_has_not_completed_is_refused_with_its_exit_code()
    {
        var missing = await Pulled(["pull", "ghost", .. served.Cluster.Arguments]);
        Assert.Equal(ExitCodes.JobNotFound, missing.ExitCode);
        Assert.Contains("job 'ghost' not found on the cluster", missing.Error);
        Assert.Equal(ExitCodes.JobNotFound, (await Pulled(["export", "ghost", "--out", _pulled.File("x"), .. served.Cluster.Arguments])).ExitCode);

        // A job created without data has no model.
        await served.Cluster.Grains.GetGrain<ICoordinatorGrain>("empty").Create(new JobSpec(), replace: true, CancellationToken.None);
        var empty = await Pulled(["pull", "empty", .. served.Cluster.Arguments]);
        Assert.Equal(ExitCodes.JobNotServable, empty.ExitCode);
        Assert.Contains("job 'empty' on the cluster at", empty.Error);
        Assert.Contains("its model can be pulled once it has completed", empty.Error);
        Assert.Equal(ExitCodes.JobNotServable, (await Pulled(["export", "empty", "--out", _pulled.File("y"), .. served.Cluster.Arguments])).ExitCode);
        Assert.False(new JobStore(_pulled.DataDirectory).Exists("empty"));

        var noCluster = await Pulled("pull", Job, "--local");
        Assert.Equal(ExitCodes.BadOption, noCluster.ExitCode);
        Assert.Contains("hpf pull works on a cluster's jobs", noCluster.Error);
        Assert.Equal(ExitCodes.BadOption, (await Pulled(["pull", "../escape", .. served.Cluster.Arguments])).ExitCode);

        // A data directory that cannot be written is found before the download, not after it.
        var unwritable = await CliRun.Of(["--data-dir", "/dev/null", "pull", Job, .. served.Cluster.Arguments]);
        Assert.Equal(ExitCodes.IoFailure, unwritable.ExitCode);
        Assert.Contains("cannot write the data directory (--data-dir) /dev/null", unwritable.Error);
    }

    private static JsonDocument Json(CliRun run) => JsonDocument.Parse(run.Out);

    private static List<string> Items(JsonDocument json) =>
        json.RootElement.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("item").GetString()!).ToList();

    private static List<double> Scores(JsonDocument json) =>
        json.RootElement.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("score").GetDouble()).ToList();

    public void Dispose() => _pulled.Dispose();
}
