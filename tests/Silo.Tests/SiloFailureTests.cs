using Hpf.Cluster.Cluster.Tests;
using System.Text.RegularExpressions;
using Hpf.Cluster.Grains.Interfaces;
using Xunit.Abstractions;

namespace Hpf.Cluster.Silo.Tests;

/// <summary>
/// Three Hpf.Silo processes on Azurite train the sampled 1M-nonzero job while one of them is lost: killed
/// (SIGKILL) holding shards, killed holding the coordinator, all of them killed and started again, or frozen past the
/// failure timeout and then resumed. Each time the job completes with the in-process trainer's model, and the
/// coordinator's log shows it went back no further than the last complete checkpoint.
/// </summary>
[Collection(TrainingProcessCollection.Name)]
public sealed partial class SiloFailureTests(SampledJob job, ITestOutputHelper output)
{
    /// <summary>The kill comes once a status read shows this many iterations done: halfway between two checkpoints, with most of the run ahead.</summary>
    private const int KillAfter = 105;

    /// <summary>Float32 tolerance: a few units in the last place (the in-process cluster tests see the model bit for bit).</summary>
    private const double ModelTolerance = 1e-6;

    private static readonly TimeSpan JobLimit = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task A_silo_holding_shards_killed_mid_iteration_costs_at_most_one_checkpoint_interval_and_nothing_of_the_model()
    {
        await using var cluster = await AzuriteSiloCluster.StartAsync(3);
        const string name = "kill-shard-silo";
        await cluster.SubmitAsync(0, name, job.Spec, job.Tsv);
        var started = cluster.Clock.Elapsed;
        await cluster.WaitForJobAsync(name, s => s.State == JobState.Training, JobLimit);
        var coordinator = cluster.CoordinatorOf(name);
        var (victim, victimAddress) = await cluster.ShardSiloAsync(name, coordinator);
        var survivors = cluster.Running.Where(s => s != victim).ToArray();

        // Iterations run back to back (~30 ms each), so a kill right after a status read lands inside one.
        var before = await cluster.WaitForJobAsync(name, s => s.Iteration >= KillAfter, JobLimit);
        Assert.Equal(JobState.Training, before.State);
        cluster.Kill(victim);
        var killedAt = cluster.Clock.Elapsed;

        var settled = await cluster.WaitUntilEveryViewDropsAsync(victimAddress, survivors, killedAt, TimeSpan.FromSeconds(30));
        var final = await cluster.WaitForJobAsync(name, s => s.IsFinished, JobLimit);
        var finishedAt = cluster.Clock.Elapsed;
        Assert.True(final.State == JobState.Completed, $"{final.State}: {final.Error}\n{cluster.Logs()}");

        // The coordinator went back to the last checkpoint complete at the kill: by rolling every shard back, or, when
        // Orleans re-activated it (its directory entry was on the dead silo, so a watchdog's call made a new
        // activation and the old one was deactivated), by the new activation resuming from that checkpoint.
        var taker = cluster.CoordinatorOf(name);
        var rolledBack = IterationsLogged(cluster, taker, RollingBack(), killedAt);
        var resumed = IterationsLogged(cluster, taker, Resuming(), killedAt);
        var restored = IterationsLogged(cluster, taker, Restored(), killedAt);
        Assert.True((final.Rollbacks >= 1 && rolledBack.Count >= 1) || resumed.Count >= 1,
            $"the coordinator never noticed the lost shards\n{cluster.Logs()}");
        Assert.True(restored.Count >= 1, $"no restore logged after the kill\n{cluster.Logs()}");
        var back = rolledBack.Count >= 1 ? rolledBack[0].Iteration : resumed[0].Iteration;
        Assert.Equal(back, restored[^1].Iteration);
        AssertAtMostOneIntervalRedone(before, back, cluster);
        // The job's history, which the jobs page lists and marks on the curve, has it too.
        Assert.Contains(final.RollbackHistory, r => r.ToCheckpoint == back && (r.SiloLost || r.FromIteration is null || r.FromIteration >= back));

        await AssertSameModelAsync(cluster, survivors[0], name, final);
        output.WriteLine($"killed silo {victim} (shards, not the coordinator) after iteration {before.Iteration} (last checkpoint {before.LastCheckpoint}); " +
            $"{(rolledBack.Count >= 1 ? "rolled back" : $"coordinator re-activated on silo {taker} and resumed")} to {back}: " +
            $"{before.Iteration - back} complete iterations redone; {final.Rollbacks} rollback(s)");
        output.WriteLine($"settled view (every survivor without the dead silo) {settled.TotalSeconds:F2} s after the kill; shards restored " +
            $"{(restored[^1].At - killedAt).TotalSeconds:F2} s after it; job {(finishedAt - started).TotalSeconds:F1} s from start to completed " +
            $"(membership: probe every {AzuriteSiloCluster.ProbeTimeout.TotalSeconds} s, two missed and two votes to declare death)");
        cluster.AssertSecretsNotShown();
    }

    [Fact]
    public async Task Two_of_three_silos_killed_at_once_leave_one_that_declares_both_dead_and_finishes_the_job_alone()
    {
        await using var cluster = await AzuriteSiloCluster.StartAsync(3);
        const string name = "kill-two-silos";
        await cluster.SubmitAsync(0, name, job.Spec, job.Tsv);
        await cluster.WaitForJobAsync(name, s => s.State == JobState.Training, JobLimit);
        var coordinator = cluster.CoordinatorOf(name);
        // The coordinator goes too: the one survivor must both vote the others out on its own and take the job over.
        var survivor = (coordinator + 1) % cluster.Count;
        var victims = cluster.Running.Where(s => s != survivor).ToArray();
        var addresses = new List<string>();
        foreach (var victim in victims) addresses.Add((await cluster.ClusterInfoAsync(victim))!.Silo);

        var before = await cluster.WaitForJobAsync(name, s => s.Iteration >= KillAfter, JobLimit);
        Assert.Equal(JobState.Training, before.State);
        foreach (var victim in victims) cluster.Kill(victim);
        var killedAt = cluster.Clock.Elapsed;

        // Its two votes' worth: with the others silent, one live voter is all the cluster has.
        var settled = TimeSpan.Zero;
        foreach (var address in addresses)
        {
            var dropped = await cluster.WaitUntilEveryViewDropsAsync(address, [survivor], killedAt, TimeSpan.FromSeconds(30));
            settled = dropped > settled ? dropped : settled;
        }
        var final = await cluster.WaitForJobAsync(name, s => s.IsFinished, JobLimit);
        Assert.True(final.State == JobState.Completed, $"{final.State}: {final.Error}\n{cluster.Logs()}");
        Assert.Equal(survivor, cluster.CoordinatorOf(name));
        var resumed = IterationsLogged(cluster, survivor, Resuming(), killedAt);
        Assert.True(resumed.Count >= 1, $"the survivor never resumed the job\n{cluster.Logs()}");
        AssertAtMostOneIntervalRedone(before, resumed[0].Iteration, cluster);
        await AssertSameModelAsync(cluster, survivor, name, final);
        output.WriteLine($"killed silos {string.Join(" and ", victims)} (one the coordinator's) after iteration {before.Iteration}; the survivor's view dropped both " +
            $"{settled.TotalSeconds:F2} s after the kill; it resumed from {resumed[0].Iteration} and completed the job alone");
    }

    [Fact]
    public async Task The_coordinators_silo_killed_mid_iteration_is_taken_over_by_a_survivors_watchdog_and_the_model_is_the_same()
    {
        await using var cluster = await AzuriteSiloCluster.StartAsync(3);
        const string name = "kill-coordinator-silo";
        await cluster.SubmitAsync(0, name, job.Spec, job.Tsv);
        await cluster.WaitForJobAsync(name, s => s.State == JobState.Training, JobLimit);
        var victim = cluster.CoordinatorOf(name);
        var victimAddress = (await cluster.ClusterInfoAsync(victim))!.Silo;
        var survivors = cluster.Running.Where(s => s != victim).ToArray();

        var before = await cluster.WaitForJobAsync(name, s => s.Iteration >= KillAfter, JobLimit);
        Assert.Equal(JobState.Training, before.State);
        cluster.Kill(victim);
        var killedAt = cluster.Clock.Elapsed;

        var settled = await cluster.WaitUntilEveryViewDropsAsync(victimAddress, survivors, killedAt, TimeSpan.FromSeconds(30));
        var final = await cluster.WaitForJobAsync(name, s => s.IsFinished, JobLimit);
        Assert.True(final.State == JobState.Completed, $"{final.State}: {final.Error}\n{cluster.Logs()}");

        // A survivor took the coordinator up (its watchdog, or the status reads of this test: either activates it) and
        // resumed from the last checkpoint complete at the kill.
        var taker = cluster.CoordinatorOf(name);
        Assert.NotEqual(victim, taker);
        var resumed = IterationsLogged(cluster, taker, Resuming(), killedAt);
        var restored = IterationsLogged(cluster, taker, Restored(), killedAt);
        Assert.True(resumed.Count >= 1 && restored.Count >= 1, $"no resumption logged on silo {taker}\n{cluster.Logs()}");
        var back = resumed[0].Iteration;
        Assert.Equal(back, restored[^1].Iteration);
        AssertAtMostOneIntervalRedone(before, back, cluster);

        await AssertSameModelAsync(cluster, taker, name, final);
        output.WriteLine($"killed the coordinator's silo {victim} after iteration {before.Iteration} (last checkpoint {before.LastCheckpoint}); silo {taker} " +
            $"resumed from {back} {(resumed[0].At - killedAt).TotalSeconds:F2} s after the kill: {before.Iteration - back} complete iterations redone");
        output.WriteLine($"settled view {settled.TotalSeconds:F2} s after the kill (watchdog every {AzuriteSiloCluster.WatchdogInterval.TotalSeconds} s)");
    }

    [Fact]
    public async Task All_silos_killed_and_started_again_resume_the_job_from_its_checkpoint_and_serve_the_model_after_another_restart()
    {
        await using var cluster = await AzuriteSiloCluster.StartAsync(3);
        const string name = "kill-all-silos";
        await cluster.SubmitAsync(1, name, job.Spec, job.Tsv);
        var before = await cluster.WaitForJobAsync(name, s => s.Iteration >= KillAfter, JobLimit);
        Assert.Equal(JobState.Training, before.State);
        for (var slot = 0; slot < cluster.Count; slot++) cluster.Kill(slot);
        var killedAt = cluster.Clock.Elapsed;
        for (var slot = 0; slot < cluster.Count; slot++) Assert.True(await cluster[slot].WaitForExitAsync(TimeSpan.FromSeconds(10)));

        // The same silos again, on the same ports and database: each new generation supersedes its dead predecessor's row.
        for (var slot = 0; slot < cluster.Count; slot++) cluster.StartSilo(slot);
        await cluster.WaitForViewAsync(cluster.Count, TimeSpan.FromSeconds(60));
        var final = await cluster.WaitForJobAsync(name, s => s.IsFinished, JobLimit);
        Assert.True(final.State == JobState.Completed, $"{final.State}: {final.Error}\n{cluster.Logs()}");
        var taker = cluster.CoordinatorOf(name);
        var resumed = IterationsLogged(cluster, taker, Resuming(), killedAt);
        Assert.True(resumed.Count >= 1, $"no resumption logged after the restart\n{cluster.Logs()}");
        AssertAtMostOneIntervalRedone(before, resumed[0].Iteration, cluster);
        await AssertSameModelAsync(cluster, 0, name, final);

        // The finished job outlives the cluster: all silos leave (SIGTERM) and a single new silo serves the model,
        // every shard activating on it from its final checkpoint.
        for (var slot = 0; slot < cluster.Count; slot++) cluster.Terminate(slot);
        for (var slot = 0; slot < cluster.Count; slot++)
        {
            Assert.True(await cluster[slot].WaitForExitAsync(TimeSpan.FromSeconds(30)), $"silo {slot} did not stop on SIGTERM\n{cluster.Logs()}");
            Assert.Equal(0, cluster[slot].ExitCode);
        }
        cluster.StartSilo(2);
        await cluster.WaitForViewAsync(1, TimeSpan.FromSeconds(60));
        var served = await cluster.DownloadModelAsync(2, name, job.Training);
        var servedDifference = ModelComparison.MaxRelativeDifference(job.Expected, served);
        Assert.True(servedDifference <= ModelTolerance, $"the model served after the second restart differs by {servedDifference:G3}");
        output.WriteLine($"all three killed after iteration {before.Iteration} (last checkpoint {before.LastCheckpoint}); restarted, resumed from " +
            $"{resumed[0].Iteration} {(resumed[0].At - killedAt).TotalSeconds:F2} s after the kill; completed; served again by one new silo after a second stop");
    }

    [Fact]
    public async Task A_partitioned_silo_finds_itself_dead_on_resuming_exits_with_3_and_nothing_it_writes_counts()
    {
        await using var cluster = await AzuriteSiloCluster.StartAsync(3);
        const string name = "partitioned-silo";
        await cluster.SubmitAsync(0, name, job.Spec, job.Tsv);
        await cluster.WaitForJobAsync(name, s => s.State == JobState.Training, JobLimit);
        // The coordinator's silo: the one with the most to write (the job's state, checkpoints, its shards' slots).
        var frozenSlot = cluster.CoordinatorOf(name);
        var frozen = cluster[frozenSlot];
        var frozenAddress = (await cluster.ClusterInfoAsync(frozenSlot))!.Silo;
        var survivors = cluster.Running.Where(s => s != frozenSlot).ToArray();

        var before = await cluster.WaitForJobAsync(name, s => s.Iteration >= KillAfter, JobLimit);
        frozen.Freeze();
        var frozenAt = cluster.Clock.Elapsed;
        await cluster.WaitUntilEveryViewDropsAsync(frozenAddress, survivors, frozenAt, TimeSpan.FromSeconds(30));
        // Resumed while a survivor trains the job again, so whatever the old coordinator still does meets the new one.
        var retaken = await WaitForStatusFromAsync(cluster, survivors, name, s => s.Iteration > before.Iteration + 5 || s.IsFinished);
        frozen.Resume();
        var resumedAt = cluster.Clock.Elapsed;

        Assert.True(await frozen.WaitForExitAsync(TimeSpan.FromSeconds(30)), $"the silo declared dead kept running\n{cluster.Logs()}");
        Assert.Equal(SiloProgram.DeclaredDeadExitCode, frozen.ExitCode);
        // SiloDeclaredDead's line: the silo says why it stops.
        Assert.Contains(frozen.Lines, l => l.Text.Contains("Silo stops", StringComparison.Ordinal));

        var final = await WaitForStatusFromAsync(cluster, survivors, name, s => s.IsFinished);
        Assert.True(final.State == JobState.Completed, $"{final.State}: {final.Error}\n{cluster.Logs()}");
        var taker = cluster.CoordinatorOf(name);
        Assert.NotEqual(frozenSlot, taker);
        // After it resumed, the old silo completed no checkpoint: a write it tried was refused (stale etag) or never made.
        var afterResume = frozen.Lines.Where(l => l.At >= resumedAt).ToArray();
        var completedCheckpoints = afterResume.Where(l => CheckpointComplete().IsMatch(l.Text)).ToArray();
        Assert.True(completedCheckpoints.Length == 0, "the frozen silo completed checkpoints after it resumed:\n" + string.Join('\n', completedCheckpoints.Select(l => l.Text)));
        // Orleans 10's blob storage reports a stale etag as an InconsistentStateException.
        var refused = afterResume.Count(l => l.Text.Contains("InconsistentStateException", StringComparison.Ordinal));
        await AssertSameModelAsync(cluster, taker, name, final);
        var takenOver = IterationsLogged(cluster, taker, Restored(), frozenAt);
        Assert.NotEmpty(takenOver);
        AssertAtMostOneIntervalRedone(before, takenOver[0].Iteration, cluster);
        // A frozen silo keeps its connections open, so calls already waiting on it end only at the call timeout (30 s):
        // a survivor's shard fetching from it holds up the new coordinator's restore until then.
        output.WriteLine($"shards restored on the survivors {(takenOver[0].At - frozenAt).TotalSeconds:F2} s after the freeze");
        output.WriteLine($"froze the coordinator's silo {frozenSlot} after iteration {before.Iteration}; silo {taker} took the job over and reached iteration " +
            $"{retaken.Iteration} before the old one resumed; it exited 3 {(frozen.Lines[^1].At - resumedAt).TotalSeconds:F2} s after SIGCONT, " +
            $"logging {afterResume.Length} lines ({refused} with a refused state write) and completing no checkpoint:");
        foreach (var line in afterResume) output.WriteLine("  " + line.Text);
    }

    /// <summary>Iterations named by the matching lines of a slot's current process logged after <paramref name="since"/>, in order.</summary>
    private static List<(int Iteration, TimeSpan At)> IterationsLogged(AzuriteSiloCluster cluster, int slot, Regex pattern, TimeSpan since) =>
        cluster[slot].Lines.Where(l => l.At >= since)
            .Select(l => (Match: pattern.Match(l.Text), l.At))
            .Where(m => m.Match.Success)
            .Select(m => (int.Parse(m.Match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), m.At))
            .ToList();

    /// <summary>
    /// The rollback went back to the last checkpoint complete when the silo was lost, or a later one, never an older one:
    /// so no more than one checkpoint interval of completed iterations was computed twice.
    /// </summary>
    private static void AssertAtMostOneIntervalRedone(JobStatus before, int back, AzuriteSiloCluster cluster)
    {
        Assert.True(back >= before.LastCheckpoint, $"went back to iteration {back}, behind the checkpoint of {before.LastCheckpoint} complete before the loss\n{cluster.Logs()}");
        Assert.True(before.Iteration - back <= SampledJob.CheckpointEvery, $"redid {before.Iteration - back} iterations, more than one checkpoint interval");
        Assert.Equal(0, back % SampledJob.CheckpointEvery);
    }

    private async Task AssertSameModelAsync(AzuriteSiloCluster cluster, int slot, string name, JobStatus final)
    {
        var model = await cluster.DownloadModelAsync(slot, name, job.Training);
        var difference = ModelComparison.MaxRelativeDifference(job.Expected, model);
        Assert.True(difference <= ModelTolerance, $"the model differs from the fault-free in-process run by {difference:G3} (relative)");
        Assert.Equal(job.ExpectedCurve.Select(p => p.Iteration), final.Curve.Select(p => p.Iteration));
        foreach (var (expected, actual) in job.ExpectedCurve.Zip(final.Curve))
            Assert.True(Math.Abs(expected.TrainLogLikelihood - actual.TrainLogLikelihood) <= 1e-9 * Math.Abs(expected.TrainLogLikelihood),
                $"log-likelihood at iteration {expected.Iteration}: {actual.TrainLogLikelihood} against {expected.TrainLogLikelihood}");
        output.WriteLine($"model against the fault-free in-process run: largest relative difference {difference:G3}");
    }

    private static async Task<JobStatus> WaitForStatusFromAsync(AzuriteSiloCluster cluster, int[] silos, string name, Func<JobStatus, bool> until)
    {
        var deadline = cluster.Clock.Elapsed + JobLimit;
        var turn = 0;
        while (cluster.Clock.Elapsed < deadline)
        {
            if (await cluster.TryStatusAsync(silos[turn++ % silos.Length], name) is { } status && (until(status) || status.IsFinished)) return status;
            await Task.Delay(20);
        }
        Assert.Fail($"job {name} did not get there within {JobLimit.TotalSeconds} s\n{cluster.Logs()}");
        return null!;
    }

    [GeneratedRegex(@"rolling back to the checkpoint of iteration (\d+)")]
    private static partial Regex RollingBack();

    [GeneratedRegex(@"shards restored to iteration (\d+)")]
    private static partial Regex Restored();

    [GeneratedRegex(@"resuming from the checkpoint of iteration (\d+)")]
    private static partial Regex Resuming();

    [GeneratedRegex(@"checkpoint of iteration \d+ in slot \d+ complete")]
    private static partial Regex CheckpointComplete();
}
