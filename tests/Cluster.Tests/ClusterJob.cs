using System.Text;
using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Interfaces;
using Hpf.Cluster.Grains.Loading;

namespace Hpf.Cluster.Cluster.Tests;

/// <summary>Drives a job through the grains as a client would: create, upload, start, wait, read the model out of the shards.</summary>
internal static class ClusterJob
{
    public static async Task<JobStatus> SubmitAsync(IGrainFactory grains, string job, JobSpec spec, Dataset train, Dataset? validation = null)
    {
        var coordinator = grains.GetGrain<ICoordinatorGrain>(job);
        await coordinator.Create(spec, replace: false, CancellationToken.None);
        await UploadAsync(grains, job, DataSetKind.Training, train);
        if (validation is not null) await UploadAsync(grains, job, DataSetKind.Validation, validation);
        return await coordinator.Start(CancellationToken.None);
    }

    public static Task<JobStatus> UploadAsync(IGrainFactory grains, string job, DataSetKind kind, Dataset data)
    {
        var text = new StringWriter();
        data.WriteTsv(text);
        return UploadTextAsync(grains, job, kind, text.ToString(), $"{kind}.tsv");
    }

    public static Task<JobStatus> UploadTextAsync(IGrainFactory grains, string job, DataSetKind kind, string text, string source) =>
        JobUpload.RunAsync(grains, job, kind, new MemoryStream(Encoding.UTF8.GetBytes(text)), source, DatasetFormat.Tsv, CancellationToken.None);

    /// <summary>How long one status poll may go unanswered before it is asked again.</summary>
    private static readonly TimeSpan PollLimit = TimeSpan.FromSeconds(10);

    public static async Task<JobStatus> WaitAsync(IGrainFactory grains, string job, TimeSpan? limit = null, Func<JobStatus, bool>? until = null)
    {
        var coordinator = grains.GetGrain<ICoordinatorGrain>(job);
        var deadline = DateTime.UtcNow + (limit ?? TimeSpan.FromMinutes(2));
        until ??= s => s.IsFinished;
        while (true)
        {
            JobStatus? status;
            // A poll sent through a silo the test has just killed (the client's gateway for it) is never answered and
            // would wait out the 60 s response timeout: it is given up after a few seconds and asked again. A coordinator
            // that never answers still fails the wait at its deadline.
            using (var poll = new CancellationTokenSource(PollLimit))
            {
                try
                {
                    status = await coordinator.GetStatus(poll.Token);
                }
                catch (Exception e) when ((e is OperationCanceledException || e is TimeoutException) && poll.IsCancellationRequested && DateTime.UtcNow <= deadline)
                {
                    continue;
                }
            }
            if (status is null) throw new InvalidOperationException($"job {job} disappeared");
            if (until(status)) return status;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"job {job} is still {status.State} at iteration {status.Iteration}");
            await Task.Delay(25);
        }
    }

    /// <summary>The model as the shards hold it, rows in ordinal id order as the in-process trainer orders them.</summary>
    public static async Task<HpfModel> ReadModelAsync(IGrainFactory grains, string job, TrainingOptions options)
    {
        var shards = await grains.GetGrain<ICoordinatorGrain>(job).GetShards(CancellationToken.None);
        var k = options.Factors;
        var users = await ReadSideAsync(shards.Users, k, options.Members);
        var items = await ReadSideAsync(shards.Items, k, options.Members);
        return new HpfModel(options, users.Ids, items.Ids, users.Shape, users.Rate, users.Activity, items.Shape, items.Rate, items.Activity);
    }

    private static async Task<(string[] Ids, float[] Shape, float[] Rate, float[] Activity)> ReadSideAsync(IShardGrain[] shards, int k, int members)
    {
        var rows = new List<(string Id, float[] Shape, float[] Rate, float[] Activity)>();
        foreach (var shard in shards)
        {
            var start = 0;
            while (true)
            {
                var page = await shard.ModelRows(start, 500, CancellationToken.None);
                for (var r = 0; r < page.Ids.Length; r++)
                    rows.Add((page.Ids[r], page.Shape.Array[(r * k)..((r + 1) * k)], page.Rate.Array[(r * k)..((r + 1) * k)], page.ActivityRate.Array[(r * members)..((r + 1) * members)]));
                start += page.Ids.Length;
                if (page.Ids.Length == 0 || start >= page.TotalRows) break;
            }
        }
        rows.Sort((a, b) => string.CompareOrdinal(a.Id, b.Id));
        return ([.. rows.Select(r => r.Id)], [.. rows.SelectMany(r => r.Shape)], [.. rows.SelectMany(r => r.Rate)], [.. rows.SelectMany(r => r.Activity)]);
    }
}
