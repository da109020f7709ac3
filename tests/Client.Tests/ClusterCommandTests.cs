using System.Text.Json;
using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Client.Tests;

/// <summary><c>hpf train/status/cancel/jobs --cluster</c> against a silo hosted in the test process, and the three training paths compared.</summary>
[Collection(TrainedJobCollection.Name)]
public sealed class ClusterCommandTests(TrainedJob job) : IAsyncLifetime
{
    private readonly ScratchDirectory _scratch = new();
    private ClusterUnderTest _cluster = null!;

    public async Task InitializeAsync() => _cluster = await ClusterUnderTest.StartAsync();

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        _scratch.Dispose();
    }

    [Fact]
    public async Task Partial_fit_folds_new_users_into_a_cluster_job_which_serves_them_afterwards()
    {
        (await Cli(["train", job.TrainFile, "--job", "growing", "--k", "3", "--max-iter", "6", "--stop", "maxiter", "--threads", "1", .. _cluster.Arguments])).Succeeded();
        var train = TripletFileReader.Read(job.TrainFile);
        var late = _scratch.Write("late.tsv", $"newcomer\t{train.ItemIds[0]}\t3\nnewcomer\t{train.ItemIds[2]}\t1\nother\t{train.ItemIds[1]}\t2\n");

        var fitted = (await Cli(["partial-fit", "growing", late, "--users-per-batch", "1", .. _cluster.Arguments])).Succeeded();
        Assert.Contains("partial fit of job 'growing': 2 users (2 new) in 2 batch(es)", fitted.Out);
        var json = (await Cli(["partial-fit", "growing", late, "--json", .. _cluster.Arguments])).Succeeded();
        using (var result = JsonDocument.Parse(json.Out))
        {
            Assert.Equal(0, result.RootElement.GetProperty("newUsers").GetInt32());   // both are in the model now
            Assert.Equal(1, result.RootElement.GetProperty("batches").GetInt32());
        }
        var recommend = (await Cli(["recommend", "growing", "--user", "newcomer", "-n", "3", "--json", .. _cluster.Arguments])).Succeeded();
        using (var items = JsonDocument.Parse(recommend.Out))
        {
            Assert.Equal(3, items.RootElement.GetProperty("items").GetArrayLength());
        }
        var local = await Cli("partial-fit", "growing", late);
        Assert.Equal(ExitCodes.BadOption, local.ExitCode);
        Assert.Contains("--cluster", local.Error);
    }

    [Fact]
    public async Task A_job_trained_on_a_cluster_is_saved_locally_and_serves_and_the_cluster_keeps_it()
    {
        var train = (await Cli(["train", job.TrainFile, "--job", "remote", "--k", "3", "--max-iter", "6", "--stop", "maxiter", "--check-every", "3",
            "--threads", "1", "--user-shards", "2", "--item-shards", "2", "--validation", job.TestFile, .. _cluster.Arguments])).Succeeded();
        Assert.Contains($"training job 'remote' on the cluster at {_cluster.Gateway}", train.Out);
        Assert.Contains("(2 user and 2 item shards)", train.Out);
        Assert.Matches(@"iteration 3/6  llk -?\d\.\d{3}e[+-]\d{2}  elapsed", train.Out);
        Assert.Contains("iteration 6/6", train.Out);
        Assert.Contains("final log-likelihood: train ", train.Out);
        Assert.Contains($"saved job 'remote' in {Path.Combine(_scratch.DataDirectory, "jobs", "remote")}", train.Out);

        var recommend = (await Cli("recommend", "remote", "--user", job.KnownUser, "-n", "3", "--json")).Succeeded();
        using (var items = JsonDocument.Parse(recommend.Out))
        {
            Assert.Equal(3, items.RootElement.GetProperty("items").GetArrayLength());
        }
        var saved = new JobStore(_scratch.DataDirectory).Open("remote");
        Assert.Equal(6, saved.Manifest.Iterations);
        Assert.Equal([3, 6], saved.Manifest.Curve.Select(p => p.Iteration));
        Assert.All(saved.Manifest.Curve, p => Assert.NotNull(p.ValidationLogLikelihood));

        var status = (await Cli(["status", "remote", "--json", .. _cluster.Arguments])).Succeeded();
        using (var json = JsonDocument.Parse(status.Out))
        {
            Assert.Equal("completed", json.RootElement.GetProperty("state").GetString());
            Assert.Equal(6, json.RootElement.GetProperty("iteration").GetInt32());
            Assert.Equal(saved.Manifest.Nonzeros, json.RootElement.GetProperty("data").GetProperty("nonzeros").GetInt64());
        }
        var text = (await Cli(["status", "remote", .. _cluster.Arguments])).Succeeded();
        Assert.Contains("job 'remote': completed, iteration 6/6", text.Out);

        var listed = (await Cli(["jobs", "--json", .. _cluster.Arguments])).Succeeded();
        using (var jobs = JsonDocument.Parse(listed.Out))
        {
            Assert.Contains(jobs.RootElement.EnumerateArray(), j => j.GetProperty("job").GetString() == "remote" && j.GetProperty("state").GetString() == "completed");
        }
        var cancel = (await Cli(["cancel", "remote", .. _cluster.Arguments])).Succeeded();
        Assert.Contains("nothing to cancel", cancel.Error);
        // Without --cluster, jobs still lists the local store.
        Assert.Contains("remote", (await Cli("jobs")).Succeeded().Out);
    }

    [Theory]
    [InlineData("log1p")]
    [InlineData("binary")]
    public async Task A_count_transform_gives_the_same_model_and_scores_in_process_and_on_a_cluster(string transform)
    {
        string[] options = ["--k", "4", "--max-iter", "6", "--stop", "maxiter", "--check-every", "3", "--threads", "1", "--seed", "5",
            "--validation", job.TestFile, "--transform", transform];
        (await Cli(["train", job.TrainFile, "--job", $"{transform}-here", "--in-process", .. options])).Succeeded();
        (await Cli(["train", job.TrainFile, "--job", $"{transform}-sharded", "--user-shards", "2", "--item-shards", "3", .. options, .. _cluster.Arguments])).Succeeded();
        (await Cli(["train", job.TrainFile, "--job", $"{transform}-raw", "--in-process", .. options[..^2]])).Succeeded();

        var store = new JobStore(_scratch.DataDirectory);
        var reference = store.Open($"{transform}-here").LoadModel();
        var sharded = store.Open($"{transform}-sharded").LoadModel();
        Assert.Equal(transform == "log1p" ? CountTransform.Log1p : CountTransform.Binary, reference.Options.Transform);
        Assert.Equal(reference.Options.Transform, sharded.Options.Transform);
        AssertClose(reference.UserShape, sharded.UserShape, "user shape");
        AssertClose(reference.ItemShape, sharded.ItemShape, "item shape");
        AssertClose(reference.ItemRate, sharded.ItemRate, "item rate");
        // The transform did something: the untransformed model differs.
        var raw = store.Open($"{transform}-raw").LoadModel();
        Assert.NotEqual(raw.ItemShape, reference.ItemShape);

        using var here = JsonDocument.Parse(File.ReadAllText(Path.Combine(_scratch.DataDirectory, "jobs", $"{transform}-here", "model.json")));
        using var there = JsonDocument.Parse(File.ReadAllText(Path.Combine(_scratch.DataDirectory, "jobs", $"{transform}-sharded", "model.json")));
        Assert.Equal(transform, here.RootElement.GetProperty("transform").GetString());
        var validationHere = here.RootElement.GetProperty("finalValidationLogLikelihood").GetDouble();
        var validationThere = there.RootElement.GetProperty("finalValidationLogLikelihood").GetDouble();
        Assert.True(Math.Abs(validationHere - validationThere) <= 1e-4 * Math.Abs(validationHere), $"validation {validationHere} here, {validationThere} on the cluster");

        // Held-out scores on the transformed scale, from the saved job here and from the cluster's job.
        using var local = JsonDocument.Parse((await Cli("evaluate", $"{transform}-here", "--test", job.TestFile, "--json")).Succeeded().Out);
        using var remote = JsonDocument.Parse((await Cli(["evaluate", $"{transform}-sharded", "--test", job.TestFile, "--json", .. _cluster.Arguments])).Succeeded().Out);
        var llkHere = local.RootElement.GetProperty("report").GetProperty("heldOutLogLikelihood").GetDouble();
        var llkThere = remote.RootElement.GetProperty("report").GetProperty("heldOutLogLikelihood").GetDouble();
        Assert.True(Math.Abs(llkHere - llkThere) <= 1e-4 * Math.Abs(llkHere), $"held-out {llkHere} here, {llkThere} on the cluster");
    }

    [Fact]
    public async Task In_process_the_embedded_silo_and_a_cluster_of_shards_give_the_same_model()
    {
        string[] options = ["--k", "4", "--max-iter", "8", "--stop", "maxiter", "--check-every", "4", "--threads", "1", "--seed", "11"];
        (await Cli(["train", job.TrainFile, "--job", "here", "--in-process", .. options])).Succeeded();
        (await Cli(["train", job.TrainFile, "--job", "embedded", .. options])).Succeeded();
        // The embedded silo keeps its state as files under the data directory (beside the lock of one console at a time).
        var embeddedSilo = Path.Combine(_scratch.DataDirectory, "silo");
        Assert.True(File.Exists(Path.Combine(embeddedSilo, "lock")));
        Assert.True(Directory.Exists(Path.Combine(embeddedSilo, "state")));
        (await Cli(["train", job.TrainFile, "--job", "sharded", "--user-shards", "3", "--item-shards", "2", .. options, .. _cluster.Arguments])).Succeeded();

        var store = new JobStore(_scratch.DataDirectory);
        var reference = store.Open("here").LoadModel();
        foreach (var name in new[] { "embedded", "sharded" })
        {
            var model = store.Open(name).LoadModel();
            Assert.Equal(reference.UserIds, model.UserIds);
            Assert.Equal(reference.ItemIds, model.ItemIds);
            AssertClose(reference.UserShape, model.UserShape, name);
            AssertClose(reference.UserRate, model.UserRate, name);
            AssertClose(reference.UserActivityRate, model.UserActivityRate, name);
            AssertClose(reference.ItemShape, model.ItemShape, name);
            AssertClose(reference.ItemRate, model.ItemRate, name);
            AssertClose(reference.ItemPopularityRate, model.ItemPopularityRate, name);
            // The training set beside it is the file's, as the in-process path saves it.
            Assert.Equal(TripletFileReader.Read(job.TrainFile).Nonzeros, store.Open(name).LoadTrainingSet().Nonzeros);
        }
    }

    [Fact]
    public async Task Cluster_failures_have_their_own_messages_and_exit_codes()
    {
        var unreachable = await Cli("status", "any", "--cluster", "127.0.0.1:1");
        Assert.Equal(ExitCodes.ClusterUnreachable, unreachable.ExitCode);
        Assert.Contains("cannot reach the cluster at 127.0.0.1:1", unreachable.Error);

        var wrongId = await Cli("jobs", "--cluster", _cluster.Gateway, "--cluster-id", "another");
        Assert.Equal(ExitCodes.ClusterUnreachable, wrongId.ExitCode);
        Assert.Contains("cluster id 'another'", wrongId.Error);

        var missing = await Cli(["status", "ghost", .. _cluster.Arguments]);
        Assert.Equal(ExitCodes.JobNotFound, missing.ExitCode);
        Assert.Contains("job 'ghost' not found on the cluster", missing.Error);
        Assert.Equal(ExitCodes.JobNotFound, (await Cli(["cancel", "ghost", .. _cluster.Arguments])).ExitCode);

        var bad = _scratch.Write("bad.tsv", "u1\ti1\t3\nu2\ti2\tmany\nu3\n");
        var refusedData = await Cli(["train", bad, .. _cluster.Arguments]);
        Assert.Equal(ExitCodes.BadData, refusedData.ExitCode);
        Assert.Contains($"{bad}:2: ", refusedData.Error);
        Assert.Contains($"{bad}:3: ", refusedData.Error);
        Assert.Equal(ExitCodes.JobNotFound, (await Cli(["status", "bad", .. _cluster.Arguments])).ExitCode);

        string[] quick = ["--k", "2", "--max-iter", "2", "--threads", "1", "--job", "taken"];
        (await Cli(["train", job.TrainFile, .. quick, .. _cluster.Arguments])).Succeeded();
        var taken = await Cli(["train", job.TrainFile, .. quick, .. _cluster.Arguments]);
        Assert.Equal(ExitCodes.BadOption, taken.ExitCode);
        Assert.Contains("pass --replace", taken.Error);
        (await Cli(["train", job.TrainFile, .. quick, "--replace", .. _cluster.Arguments])).Succeeded();

        Assert.Equal(ExitCodes.BadOption, (await Cli(["train", job.TrainFile, "--in-process", .. _cluster.Arguments])).ExitCode);
        Assert.Equal(ExitCodes.BadOption, (await Cli("train", job.TrainFile, "--in-process", "--user-shards", "2")).ExitCode);
        Assert.Equal(ExitCodes.BadOption, (await Cli("train", job.TrainFile, "--cluster", "not a gateway")).ExitCode);
    }

    [Theory]
    [InlineData("127.0.0.1", "'127.0.0.1' is not host:port")]
    [InlineData("127.0.0.1:gateway", "'127.0.0.1:gateway' is not host:port")]
    [InlineData("127.0.0.1:70000", "'127.0.0.1:70000' is not host:port")]
    [InlineData("127.0.0.1:30000,localhost", "'localhost' is not host:port")]
    [InlineData("http://127.0.0.1:11180", "not to its HTTP API")]
    public async Task A_cluster_that_is_not_a_list_of_host_and_port_is_refused_naming_the_option_and_the_form(string cluster, string why)
    {
        foreach (var command in new[] { new[] { "jobs" }, ["status", "any"], ["train", job.TrainFile] })
        {
            var refused = await Cli([.. command, "--cluster", cluster]);
            Assert.Equal(ExitCodes.BadOption, refused.ExitCode);
            Assert.Contains($"--cluster '{cluster}'", refused.Error);
            Assert.Contains(why, refused.Error);
            Assert.Contains("host:port[,host:port…]", refused.Error);
        }
    }

    [Fact]
    public async Task Local_works_on_the_saved_jobs_and_excludes_cluster()
    {
        var local = (await Cli("jobs", "--local")).Succeeded();
        Assert.Contains("no jobs in", local.Out);
        var both = await Cli(["jobs", "--local", .. _cluster.Arguments]);
        Assert.Equal(ExitCodes.BadOption, both.ExitCode);
        Assert.Contains("--local and --cluster exclude each other", both.Error);
        var status = await Cli("status", "any", "--local");
        Assert.Equal(ExitCodes.BadOption, status.ExitCode);
        Assert.Contains("hpf status works on a cluster's jobs", status.Error);
    }

    [Fact]
    public async Task Cancelling_the_console_cancels_the_job_on_the_cluster_and_saves_nothing()
    {
        using var interrupt = new CancellationTokenSource();
        var output = new StringWriter();
        var error = new StringWriter();
        var training = CliApp.RunAsync(
            ["--data-dir", _scratch.DataDirectory, "train", job.TrainFile, "--job", "long", "--k", "3", "--max-iter", "1000000", "--stop", "maxiter",
                "--check-every", "1000000", "--checkpoint-every", "0", "--threads", "1", .. _cluster.Arguments],
            output, error, interrupt.Token);

        var deadline = DateTime.UtcNow.AddMinutes(1);
        while (true)
        {
            Assert.False(training.IsCompleted, $"train ended early: {output}{error}");
            Assert.True(DateTime.UtcNow < deadline, "the job never started iterating");
            var status = await Cli(["status", "long", "--json", .. _cluster.Arguments]);
            if (status.ExitCode == ExitCodes.Success)
            {
                using var json = JsonDocument.Parse(status.Out);
                if (json.RootElement.GetProperty("state").GetString() == "training" && json.RootElement.GetProperty("iteration").GetInt32() > 0) break;
            }
            await Task.Delay(100);
        }
        await interrupt.CancelAsync();

        Assert.Equal(ExitCodes.Cancelled, await training);
        Assert.Contains("cancelled job 'long' on the cluster", error.ToString());
        var after = (await Cli(["status", "long", "--json", .. _cluster.Arguments])).Succeeded();
        using (var json = JsonDocument.Parse(after.Out))
        {
            Assert.Equal("cancelled", json.RootElement.GetProperty("state").GetString());
        }
        Assert.False(Directory.Exists(Path.Combine(_scratch.DataDirectory, "jobs", "long")));
    }

    private Task<CliRun> Cli(params string[] args) => CliRun.Of(["--data-dir", _scratch.DataDirectory, .. args]);

    private static void AssertClose(float[] expected, float[] actual, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var j = 0; j < expected.Length; j++)
        {
            var scale = Math.Max(Math.Max(Math.Abs(expected[j]), Math.Abs(actual[j])), 1e-30f);
            Assert.True(Math.Abs(expected[j] - actual[j]) / scale <= 1e-5, $"{what}: parameter {j} is {actual[j]}, in process {expected[j]}");
        }
    }
}
