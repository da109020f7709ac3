using Hpf.Cluster.Cluster.Tests;
using System.Globalization;
using System.Text.RegularExpressions;
using Hpf.Cluster.Grains.Interfaces;
using Xunit.Abstractions;

namespace Hpf.Cluster.Silo.Tests;

/// <summary>
/// A silo asked to stop (SIGTERM, as an orchestrator or <c>local-cluster.sh stop</c> asks) while it holds part of a
/// training job: it deactivates its grains, leaves the cluster (its membership row says Dead), exits 0, and the job goes on on the others
/// from its last checkpoint with the model it would have had anyway.
/// </summary>
[Collection(TrainingProcessCollection.Name)]
public sealed partial class GracefulLeaveTests(SampledJob job, ITestOutputHelper output)
{
    private const int StopAfter = 105;
    private static readonly TimeSpan JobLimit = TimeSpan.FromMinutes(3);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_silo_stopped_with_SIGTERM_leaves_the_cluster_exits_0_and_the_job_completes_on_the_others(bool theCoordinatorsSilo)
    {
        await using var cluster = await AzuriteSiloCluster.StartAsync(3);
        var name = theCoordinatorsSilo ? "leave-coordinator-silo" : "leave-shard-silo";
        await cluster.SubmitAsync(0, name, job.Spec, job.Tsv);
        await cluster.WaitForJobAsync(name, s => s.State == JobState.Training, JobLimit);
        var coordinator = cluster.CoordinatorOf(name);
        var leaver = theCoordinatorsSilo ? coordinator : (await cluster.ShardSiloAsync(name, coordinator)).Slot;
        var leaverAddress = (await cluster.ClusterInfoAsync(leaver))!.Silo;
        var survivors = cluster.Running.Where(s => s != leaver).ToArray();
        var process = cluster[leaver];

        var before = await cluster.WaitForJobAsync(name, s => s.Iteration >= StopAfter, JobLimit);
        Assert.Equal(JobState.Training, before.State);
        cluster.Terminate(leaver);
        var stoppedAt = cluster.Clock.Elapsed;

        var settled = await cluster.WaitUntilEveryViewDropsAsync(leaverAddress, survivors, stoppedAt, TimeSpan.FromSeconds(30));
        Assert.True(await process.WaitForExitAsync(TimeSpan.FromSeconds(30)), $"the silo did not stop on SIGTERM\n{cluster.Logs()}");
        Assert.True(process.ExitCode == 0, $"the silo exited {process.ExitCode} on SIGTERM\n{cluster.Logs()}");
        var exitedAt = process.Lines[^1].At;

        var final = await cluster.WaitForJobAsync(name, s => s.IsFinished, JobLimit);
        Assert.True(final.State == JobState.Completed, $"{final.State}: {final.Error}\n{cluster.Logs()}");
        var taker = cluster.CoordinatorOf(name);
        if (theCoordinatorsSilo) Assert.NotEqual(coordinator, taker);
        // The coordinator goes back to the last complete checkpoint: by rolling back (its shards' silo left) or by
        // resuming on a survivor (its own silo left, or Orleans re-activated it elsewhere). Either way no completed
        // checkpoint is given up.
        var back = cluster[taker].Lines.Where(l => l.At >= stoppedAt)
            .Select(l => RollingBack().Match(l.Text) is { Success: true } rolled ? rolled : Resuming().Match(l.Text))
            .FirstOrDefault(m => m.Success);
        Assert.True(back is not null, $"no rollback or resumption logged after the stop\n{cluster.Logs()}");
        var iteration = int.Parse(back.Groups[1].Value, CultureInfo.InvariantCulture);
        Assert.True(iteration >= before.LastCheckpoint && before.Iteration - iteration <= SampledJob.CheckpointEvery,
            $"went back to {iteration} from iteration {before.Iteration} (last checkpoint {before.LastCheckpoint})");
        var restored = cluster[taker].Lines.First(l => l.At >= stoppedAt && l.Text.Contains($"shards restored to iteration {iteration}", StringComparison.Ordinal));

        var model = await cluster.DownloadModelAsync(survivors[0], name, job.Training);
        var difference = ModelComparison.MaxRelativeDifference(job.Expected, model);
        Assert.True(difference <= 1e-6, $"the model differs from the fault-free in-process run by {difference:G3}");
        Assert.Equal(job.ExpectedCurve.Select(p => p.Iteration), final.Curve.Select(p => p.Iteration));
        output.WriteLine($"SIGTERM to silo {leaver} ({(theCoordinatorsSilo ? "the coordinator's" : "shards only")}) after iteration {before.Iteration}: " +
            $"every survivor's view without it {settled.TotalSeconds:F2} s later, exited 0 after {(exitedAt - stoppedAt).TotalSeconds:F2} s; " +
            $"the job went back to {iteration} ({before.Iteration - iteration} complete iterations redone), shards restored " +
            $"{(restored.At - stoppedAt).TotalSeconds:F2} s after the SIGTERM; model difference {difference:G3}");
    }

    [GeneratedRegex(@"rolling back to the checkpoint of iteration (\d+)")]
    private static partial Regex RollingBack();

    [GeneratedRegex(@"resuming from the checkpoint of iteration (\d+)")]
    private static partial Regex Resuming();
}
