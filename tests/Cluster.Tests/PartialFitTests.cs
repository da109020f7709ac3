using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Interfaces;
using Hpf.Cluster.Grains.Kernels;
using Hpf.Cluster.Grains.Serving;

namespace Hpf.Cluster.Cluster.Tests;

/// <summary>partial_fit: a further SVI pass over new users of a finished job, its clock going on.</summary>
public sealed class PartialFitTests
{
    private static readonly SyntheticDataset Sample = SyntheticDataset.Generate(new SyntheticOptions { Users = 600, Items = 300, Factors = 5, Seed = 61 });

    [Fact]
    public async Task New_users_are_fitted_in_their_items_move_the_rest_do_not_and_the_clock_goes_on()
    {
        // Users u0..u449 train the job; u450..u599 arrive later, with 80% of their counts (the rest is their test).
        var (trained, arriving, test) = SplitUsers(Sample.Data, 450);
        var options = new TrainingOptions { Factors = 5, Seed = 3, Threads = 1, UsersPerBatch = 100 };
        using var store = new ClusterStorage();
        await using var cluster = await TrainingCluster.StartAsync(2, store);
        var grains = cluster.Client;
        await ClusterJob.SubmitAsync(grains, "growing", new JobSpec { Training = options, UserShards = 2, ItemShards = 2 }, trained);
        var done = await ClusterJob.WaitAsync(grains, "growing");
        Assert.Equal(JobState.Completed, done.State);
        var before = await ClusterJob.ReadModelAsync(grains, "growing", options);
        var queries = new JobModelQueries(grains);
        var foldedOnly = await HeldOutOfArrivals(queries, trained, arriving, test, before);

        var request = Request(arriving, usersPerBatch: 50);
        var result = await grains.GetGrain<ICoordinatorGrain>("growing").PartialFit(request, CancellationToken.None);

        Assert.Equal(arriving.Users, result.Users);
        Assert.Equal(arriving.Users, result.NewUsers);
        Assert.Equal(3, result.Batches);
        Assert.True(result.StepFrom > 0, "an SVI job's clock goes on from where training left it");
        Assert.Equal(result.StepFrom + 3, result.StepTo);
        var status = (await grains.GetGrain<ICoordinatorGrain>("growing").GetStatus(CancellationToken.None))!;
        Assert.Equal(1, status.PartialFits);
        Assert.Equal(arriving.Users, status.PartialFitUsers);

        // The items the arrivals touched moved; every other parameter, and every trained user, is as it was.
        var after = await ClusterJob.ReadModelAsync(grains, "growing", options);
        var touched = new HashSet<string>(Enumerable.Range(0, arriving.Items).Select(i => arriving.ItemIds[i]));
        var k = options.Factors;
        for (var i = 0; i < before.Items; i++)
        {
            var moved = !before.ItemShape.AsSpan(i * k, k).SequenceEqual(after.ItemShape.AsSpan(i * k, k));
            Assert.Equal(touched.Contains(before.ItemIds[i]), moved);
        }
        Assert.Equal(before.UserShape, after.UserShape);
        Assert.Equal(before.UserRate, after.UserRate);
        Assert.Equal(result.ItemsUpdated, touched.Count);

        // The arrivals are served, and their held-out counts are predicted at least about as well as by folding
        // them in against the items trained without them.
        var recommended = await queries.RecommendAsync("growing", arriving.UserIds[0], 5, includeSeen: false, pool: null, CancellationToken.None);
        Assert.Equal(5, recommended.Items.Length);
        var fitted = await HeldOutOfArrivals(queries, trained, arriving, test, null);
        Assert.True(fitted > foldedOnly - 0.05, $"held-out llk of the arrivals: partial fit {fitted:F4}, fold-in alone {foldedOnly:F4}");
    }

    [Fact]
    public async Task A_partial_fit_outlives_a_restart_and_is_refused_for_a_job_that_has_not_finished()
    {
        var (trained, arriving, _) = SplitUsers(Sample.Data, 500);
        var options = new TrainingOptions { Factors = 4, MaxIterations = 20, Stop = StopRule.MaxIter, Seed = 1, Threads = 1 };
        using var store = new ClusterStorage();
        HpfModel refitted;
        await using (var first = await TrainingCluster.StartAsync(1, store))
        {
            await ClusterJob.SubmitAsync(first.Client, "kept", new JobSpec { Training = options, UserShards = 1, ItemShards = 2 }, trained);
            Assert.Equal(JobState.Completed, (await ClusterJob.WaitAsync(first.Client, "kept")).State);
            var result = await first.Client.GetGrain<ICoordinatorGrain>("kept").PartialFit(Request(arriving, null), CancellationToken.None);
            Assert.Equal(0, result.StepFrom);   // full batch has no SVI clock: the pass starts it
            Assert.Equal(1, result.Batches);
            refitted = await ClusterJob.ReadModelAsync(first.Client, "kept", options);
        }

        await using var second = await TrainingCluster.StartAsync(1, store);
        var again = await ClusterJob.ReadModelAsync(second.Client, "kept", options);
        Assert.Equal(refitted.ItemShape, again.ItemShape);
        Assert.Equal(refitted.ItemRate, again.ItemRate);
        var served = await new JobModelQueries(second.Client).RecommendAsync("kept", arriving.UserIds[^1], 3, false, null, CancellationToken.None);
        Assert.Equal(3, served.Items.Length);

        await ClusterJob.SubmitAsync(second.Client, "running", new JobSpec { Training = options with { MaxIterations = 100_000 }, UserShards = 1, ItemShards = 1 }, trained);
        await Assert.ThrowsAsync<ModelNotServableException>(() =>
            second.Client.GetGrain<ICoordinatorGrain>("running").PartialFit(Request(arriving, null), CancellationToken.None));
        await second.Client.GetGrain<ICoordinatorGrain>("running").Cancel(CancellationToken.None);
    }

    /// <summary>Mean held-out log-likelihood of the arrivals' test counts: with their factors folded in against <paramref name="model"/>'s items, or, with no model, as the job now predicts them.</summary>
    private static async Task<double> HeldOutOfArrivals(JobModelQueries queries, Dataset trained, Dataset arriving, Dataset test, HpfModel? model)
    {
        double sum = 0;
        var count = 0;
        for (var u = 0; u < test.Users; u++)
        {
            var user = test.UserIds[u];
            var a = arriving.IndexOfUser(user);
            if (a < 0) continue;
            // Test items the trained job never saw cannot be scored by either.
            var all = test.ByUser.OthersOf(u).ToArray();
            var keep = Enumerable.Range(0, all.Length).Where(n => trained.IndexOfItem(test.ItemIds[all[n]]) >= 0).ToArray();
            if (keep.Length == 0) continue;
            var items = keep.Select(n => all[n]).ToArray();
            var ys = keep.Select(n => test.ByUser.CountsOf(u)[n]).ToArray();
            double[] mus;
            if (model is not null)
            {
                var counts = arriving.ByUser.OthersOf(a).ToArray().Select((i, n) => new ItemCount(arriving.ItemIds[i], arriving.ByUser.CountsOf(a)[n])).ToList();
                var theta = (await queries.FoldInAsync("growing", user, counts, 0, CancellationToken.None)).Theta;
                var beta = new float[model.Factors];
                mus = items.Select(i =>
                {
                    model.ItemFactors(model.IndexOfItem(test.ItemIds[i]), beta);
                    return theta.Zip(beta, (x, y) => (double)x * y).Sum();
                }).ToArray();
            }
            else
            {
                var predicted = await queries.PredictAsync("growing", items.Select(i => (user, test.ItemIds[i])).ToList(), CancellationToken.None);
                mus = predicted.Predictions.Select(p => p.Score).ToArray();
            }
            for (var n = 0; n < items.Length; n++)
            {
                sum += ys[n] * Math.Log(mus[n]) - mus[n] - LogFactorial.Of(ys[n]);
                count++;
            }
        }
        return sum / count;
    }

    private static PartialFitRequest Request(Dataset data, int? usersPerBatch)
    {
        var users = new List<string>();
        var items = new List<string>();
        var counts = new List<float>();
        for (var u = 0; u < data.Users; u++)
        {
            var others = data.ByUser.OthersOf(u);
            var ys = data.ByUser.CountsOf(u);
            for (var n = 0; n < others.Length; n++)
            {
                users.Add(data.UserIds[u]);
                items.Add(data.ItemIds[others[n]]);
                counts.Add(ys[n]);
            }
        }
        return new PartialFitRequest([.. users], [.. items], [.. counts], usersPerBatch);
    }

    /// <summary>Users up to <paramref name="firstArriving"/> (in id order) train; the others arrive with 80% of their counts, 20% held out.</summary>
    private static (Dataset Trained, Dataset Arriving, Dataset Test) SplitUsers(Dataset data, int firstArriving)
    {
        var trained = new DatasetBuilder();
        var arriving = new DatasetBuilder();
        var test = new DatasetBuilder();
        var random = new Random(7);
        for (var u = 0; u < data.Users; u++)
        {
            var user = data.UserIds[u];
            var late = int.Parse(user.AsSpan(1)) >= firstArriving;
            var others = data.ByUser.OthersOf(u);
            var ys = data.ByUser.CountsOf(u);
            for (var n = 0; n < others.Length; n++)
            {
                var target = !late ? trained : random.NextDouble() < 0.8 ? arriving : test;
                target.Add(user, data.ItemIds[others[n]], ys[n]);
            }
        }
        return (trained.Build(), arriving.Build(), test.Build());
    }
}
