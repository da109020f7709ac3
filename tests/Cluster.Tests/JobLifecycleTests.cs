using Hpf.Cluster.Grains.Shards;
using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Cluster.Tests;

/// <summary>A job's life through the coordinator: refused input, two jobs at once, cancellation, and the errors a client sees.</summary>
public sealed class JobLifecycleTests
{
    private static readonly SyntheticDataset Sample = SyntheticDataset.Generate(new SyntheticOptions { Users = 250, Items = 150, Factors = 4, Seed = 7 });

    private static JobSpec Spec(int maxIterations = 10, ulong seed = 1) => new()
    {
        Training = new TrainingOptions { Factors = 4, MaxIterations = maxIterations, Stop = StopRule.MaxIter, Seed = seed, Threads = 1 },
        UserShards = 2,
        ItemShards = 2,
    };

    [Fact]
    public async Task A_refused_upload_names_its_lines_and_leaves_nothing_behind()
    {
        using var store = new ClusterStorage();
        await using var cluster = await TrainingCluster.StartAsync(2, store);
        var grains = cluster.Client;
        await grains.GetGrain<ICoordinatorGrain>("bad").Create(Spec(), replace: false, CancellationToken.None);
        var text = "u1\ti1\t3\nu2\ti2\tlots\nu3\ti3\t-1\n" + string.Concat(Enumerable.Range(0, 40_000).Select(n => $"u{n}\ti{n % 300}\t1\n"));

        var refused = await Assert.ThrowsAsync<DataFormatException>(() => ClusterJob.UploadTextAsync(grains, "bad", DataSetKind.Training, text, "ratings.tsv"));

        Assert.Equal(2, refused.TotalErrors);
        Assert.Equal("ratings.tsv:2: count 'lots' is not a number", refused.Errors[0].ToString());
        Assert.Equal("ratings.tsv:3: count -1 is negative", refused.Errors[1].ToString());
        Assert.Null(await grains.GetGrain<ICoordinatorGrain>("bad").GetStatus(CancellationToken.None));
        Assert.DoesNotContain(await grains.GetGrain<IJobRegistryGrain>(IJobRegistryGrain.Key).List(CancellationToken.None), j => j.Job == "bad");
        // No shard kept anything: the checkpoint store holds no file.
        Assert.Empty(store.CheckpointFiles());
    }

    [Fact]
    public async Task Data_the_seal_refuses_fail_the_job_as_bad_data_and_none_of_them_is_kept()
    {
        using var store = new ClusterStorage();
        await using var cluster = await TrainingCluster.StartAsync(2, store);
        var grains = cluster.Client;
        await grains.GetGrain<ICoordinatorGrain>("overflow").Create(Spec(), replace: false, CancellationToken.None);
        // Each line is in range; the two lines of one pair sum beyond float32, which only the shard holding both sees.
        await ClusterJob.UploadTextAsync(grains, "overflow", DataSetKind.Training, "a\tb\t3e38\nc\td\t1\na\tb\t3e38\n", "plays.tsv");
        var started = await grains.GetGrain<ICoordinatorGrain>("overflow").Start(CancellationToken.None);
        Assert.True(started.Sealing || started.State == JobState.Failed);

        var status = await ClusterJob.WaitAsync(grains, "overflow");

        Assert.Equal(JobState.Failed, status.State);
        Assert.Equal(JobFailure.Data, status.Failure);
        Assert.Contains("plays.tsv", status.Error);
        Assert.Contains("user 'a' and item 'b' sum beyond the float32 range", status.Error);
        // Only the job's own record says why (grain state); no shard kept anything in the checkpoint store.
        Assert.Empty(store.CheckpointFiles());
    }

    [Fact]
    public async Task Two_jobs_train_at_once_without_touching_each_other()
    {
        using var storage = new ClusterStorage();
        await using var cluster = await TrainingCluster.StartAsync(2, storage);
        var grains = cluster.Client;
        await Task.WhenAll(
            ClusterJob.SubmitAsync(grains, "first", Spec(12, seed: 1), Sample.Data),
            ClusterJob.SubmitAsync(grains, "second", Spec(12, seed: 2), Sample.Data));
        var first = await ClusterJob.WaitAsync(grains, "first");
        var second = await ClusterJob.WaitAsync(grains, "second");

        Assert.Equal(JobState.Completed, first.State);
        Assert.Equal(JobState.Completed, second.State);
        var alone = new Grains.Engine.InProcessTrainer(Spec(12, seed: 2).Training).Train(Sample.Data).Model;
        var together = await ClusterJob.ReadModelAsync(grains, "second", Spec(12, seed: 2).Training);
        Assert.True(ModelComparison.MaxRelativeDifference(alone, together) < 1e-4);
        var listed = await grains.GetGrain<IJobRegistryGrain>(IJobRegistryGrain.Key).List(CancellationToken.None);
        Assert.Equal(["first", "second"], listed.Select(j => j.Job));
        Assert.All(listed, j => Assert.Equal(JobState.Completed, j.State));
    }

    [Fact]
    public async Task Cancelling_stops_training_within_one_half_step()
    {
        using var storage = new ClusterStorage();
        await using var cluster = await TrainingCluster.StartAsync(1, storage);
        var grains = cluster.Client;
        await ClusterJob.SubmitAsync(grains, "long", Spec(100_000), Sample.Data);
        var running = await ClusterJob.WaitAsync(grains, "long", until: s => s.Iteration >= 3);

        var cancelled = await grains.GetGrain<ICoordinatorGrain>("long").Cancel(CancellationToken.None);

        Assert.Equal(JobState.Cancelled, cancelled.State);
        var after = (await grains.GetGrain<ICoordinatorGrain>("long").GetStatus(CancellationToken.None))!;
        await Task.Delay(300);
        var later = (await grains.GetGrain<ICoordinatorGrain>("long").GetStatus(CancellationToken.None))!;
        Assert.Equal(after.Iteration, later.Iteration);
        Assert.True(after.Iteration >= running.Iteration);
    }

    [Fact]
    public async Task A_numerical_failure_fails_the_job_naming_iteration_shard_and_row_and_no_model_can_be_read()
    {
        using var storage = new ClusterStorage();
        await using var cluster = await TrainingCluster.StartAsync(2, storage);
        var grains = cluster.Client;
        var spec = new JobSpec { Training = new TrainingOptions { Factors = 1, Members = 1, Threads = 1 }, UserShards = 2, ItemShards = 2 };
        // Each count is a finite float, but with one factor alice's shape is their sum: beyond float32.
        var status = await TrainToNumericFailureAsync(grains, "nan", spec, "alice\tsong\t3e38\nalice\tother\t3e38\nalice\tthird\t3e38\nbob\tsong\t2\n");

        Assert.Contains("user 'alice'", status.Error);
        Assert.Contains("user shard", status.Error);
        Assert.Equal(0, status.LastCheckpoint);
        var reading = await Assert.ThrowsAsync<ShardStateException>(() => ClusterJob.ReadModelAsync(grains, "nan", spec.Training));
        Assert.Contains("no parameters", reading.Message);
    }

    [Fact]
    public async Task An_item_failure_while_the_next_user_step_waits_for_its_rows_fails_the_job_and_frees_the_user_shards()
    {
        using var storage = new ClusterStorage();
        await using var cluster = await TrainingCluster.StartAsync(2, storage);
        var grains = cluster.Client;
        // No check or checkpoint after iteration 1, so iteration 2's user step is asked for before the item step ends.
        var spec = new JobSpec { Training = new TrainingOptions { Factors = 1, Members = 1, Threads = 1, CheckEvery = 5 }, UserShards = 2, ItemShards = 2 };
        // Every user's shape and mean stay finite floats; the song's shape is the sum of four counts: beyond float32.
        var status = await TrainToNumericFailureAsync(grains, "item-nan", spec,
            "alice\tsong\t9e37\nbob\tsong\t9e37\ncarol\tsong\t9e37\nerin\tsong\t9e37\nalice\tother\t2\ndave\tother\t1\n");

        Assert.Contains("item 'song'", status.Error);
        // The user step that waited for the failed items' rows was released: the user shards answer at once (a step
        // left waiting would hold them until the call timeout of a minute).
        using var answer = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var shards = await grains.GetGrain<ICoordinatorGrain>("item-nan").GetShards(answer.Token);
        foreach (var shard in shards.Users)
        {
            var sums = await shard.ColumnSums(answer.Token);
            Assert.All(sums, s => Assert.True(double.IsFinite(s)));
        }
    }

    /// <summary>Trains <paramref name="text"/> and checks that the job failed numerically at iteration 1.</summary>
    private static async Task<JobStatus> TrainToNumericFailureAsync(IGrainFactory grains, string job, JobSpec spec, string text)
    {
        await grains.GetGrain<ICoordinatorGrain>(job).Create(spec, replace: false, CancellationToken.None);
        await ClusterJob.UploadTextAsync(grains, job, DataSetKind.Training, text, "huge.tsv");
        await grains.GetGrain<ICoordinatorGrain>(job).Start(CancellationToken.None);
        var status = await ClusterJob.WaitAsync(grains, job);
        Assert.Equal(JobState.Failed, status.State);
        Assert.Equal(JobFailure.Numeric, status.Failure);
        Assert.Contains("iteration 1", status.Error);
        return status;
    }

    [Fact]
    public async Task A_client_gets_distinct_errors_for_a_missing_job_a_taken_name_and_a_bad_option()
    {
        using var storage = new ClusterStorage();
        await using var cluster = await TrainingCluster.StartAsync(1, storage);
        var coordinator = cluster.Client.GetGrain<ICoordinatorGrain>("taken");

        // Orleans hands the caller the grain's exception as its own type.
        var missing = await Assert.ThrowsAsync<JobNotFoundException>(() => coordinator.Start(CancellationToken.None));
        Assert.Equal("taken", missing.Job);

        await coordinator.Create(Spec(), replace: false, CancellationToken.None);
        await Assert.ThrowsAsync<JobConflictException>(() => coordinator.Create(Spec(), replace: false, CancellationToken.None));
        await Assert.ThrowsAsync<JobConflictException>(() => coordinator.Start(CancellationToken.None));

        var bad = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => cluster.Client.GetGrain<ICoordinatorGrain>("other")
            .Create(Spec() with { CheckpointEvery = -1 }, replace: false, CancellationToken.None));
        Assert.Contains("--checkpoint-every", bad.Message);

        var replaced = await coordinator.Create(Spec(maxIterations: 3), replace: true, CancellationToken.None);
        Assert.Equal(JobState.Created, replaced.State);
        Assert.Equal(3, replaced.Spec.Training.MaxIterations);
    }
}
