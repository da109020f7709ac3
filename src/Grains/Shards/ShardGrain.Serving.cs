using System.Collections.Concurrent;
using System.Numerics.Tensors;
using Hpf.Cluster.Grains.Evaluation;
using Hpf.Cluster.Grains.Interfaces;
using Hpf.Cluster.Grains.Engine;

namespace Hpf.Cluster.Grains.Shards;

/// <summary>
/// Serving: what a shard answers from the model it serves. That is its final parameters once the job has finished, or,
/// while it trains, a copy of E[x] taken at the shard's last checkpoint, which training never writes, so these
/// reentrant calls may run beside a half-step.
/// </summary>
public abstract partial class ShardGrain
{
    private const string AddedUsersSuffix = "#added";

    private volatile ServedModel? _served;
    private readonly ConcurrentDictionary<string, AddedUser> _added = new(StringComparer.Ordinal);
    private string? _addedETag;

    /// <summary>The model a shard serves: E[x] per row, and its iteration; when final, the live parameters (E[log] from them).</summary>
    private sealed record ServedModel(float[] Expected, int Iteration, bool Final);

    public Task<int> ServedIteration(CancellationToken cancellationToken) => Task.FromResult(_served?.Iteration ?? 0);

    public Task<ServedUser?> ServeUser(string user, CancellationToken cancellationToken)
    {
        if (!IsUserSide) throw new InvalidOperationException("users are served by user shards");
        if (_added.TryGetValue(user, out var added))
        {
            var theta = new float[added.Shape.Length];
            TensorPrimitives.Divide(added.Shape, added.Rate, theta);
            return Task.FromResult<ServedUser?>(new ServedUser(user, theta, added.SeenByItemShard, Added: true));
        }
        var shard = RequireShard();
        var served = RequireServed();
        var r = Array.BinarySearch(shard.Ids, user, StringComparer.Ordinal);
        if (r < 0) return Task.FromResult<ServedUser?>(null);
        var k = shard.K;
        var layout = shard.Layout;
        var seen = new List<int>[_others.Length];
        for (var j = 0; j < seen.Length; j++) seen[j] = [];
        foreach (var p in layout.Rows.OthersOf(r)) seen[layout.PartOf(p)].Add(layout.CounterpartLocal[p]);
        var byShard = new int[seen.Length][];
        for (var j = 0; j < seen.Length; j++)
        {
            seen[j].Sort();
            byShard[j] = [.. seen[j]];
        }
        return Task.FromResult<ServedUser?>(new ServedUser(user, served.Expected.AsSpan(r * k, k).ToArray(), byShard, Added: false));
    }

    public Task<RankedItems> TopItems(TopItemsRequest request, CancellationToken cancellationToken)
    {
        var shard = RequireShard();
        var served = RequireServed();
        var k = shard.K;
        if (request.Theta.Length != k) throw new ArgumentException($"θ has {request.Theta.Length} factors; the model has {k}");
        if (request.Count < 1) throw new ArgumentOutOfRangeException(nameof(request), request.Count, "at least one item must be asked for");
        var ids = shard.Ids;
        int[] candidates;
        if (request.Pool is { } pool)
        {
            var found = new List<int>(pool.Length);
            foreach (var id in pool)
            {
                var i = Array.BinarySearch(ids, id, StringComparer.Ordinal);
                if (i >= 0) found.Add(i);
            }
            found.Sort();
            candidates = [.. found.Distinct()];
        }
        else
        {
            candidates = [];
        }
        var exclude = (int[])request.Exclude.Clone();
        Array.Sort(exclude);
        var top = new TopItems(Math.Min(request.Count, Math.Max(1, ids.Length)));
        var theta = request.Theta.AsSpan();
        var expected = served.Expected;
        var cursor = 0;
        var count = request.Pool is null ? ids.Length : candidates.Length;
        for (var c = 0; c < count; c++)
        {
            // Candidates ascend, so ties go to the lower index: ordinal id order, as the engine's ranking.
            var i = request.Pool is null ? c : candidates[c];
            while (cursor < exclude.Length && exclude[cursor] < i) cursor++;
            if (cursor < exclude.Length && exclude[cursor] == i) continue;
            var score = TensorPrimitives.Dot(theta, expected.AsSpan(i * k, k));
            if (score > top.Threshold) top.Offer(score, i);
        }
        var ranked = new int[top.Count];
        var n = top.Drain(ranked);
        var names = new string[n];
        var scores = new float[n];
        for (var r = 0; r < n; r++)
        {
            names[r] = ids[ranked[r]];
            scores[r] = TensorPrimitives.Dot(theta, expected.AsSpan(ranked[r] * k, k));
        }
        return Task.FromResult(new RankedItems(names, scores));
    }

    public Task<ServedRows> ServeRows(string[] ids, bool expectedLog, CancellationToken cancellationToken)
    {
        var shard = RequireShard();
        var served = RequireServed();
        if (expectedLog && !served.Final)
            throw new ShardStateException($"{SideName} shard {GrainKey} serves its last checkpoint, not a finished model: E[log] is served once the job has completed");
        var k = shard.K;
        var local = new int[ids.Length];
        var found = 0;
        for (var j = 0; j < ids.Length; j++)
        {
            local[j] = Array.BinarySearch(shard.Ids, ids[j], StringComparer.Ordinal);
            if (local[j] < 0) local[j] = -1;
            else found++;
        }
        var expected = new float[found * k];
        var elog = expectedLog ? new float[found * k] : [];
        var f = 0;
        foreach (var r in local)
        {
            if (r < 0) continue;
            served.Expected.AsSpan(r * k, k).CopyTo(expected.AsSpan(f * k, k));
            if (expectedLog) shard.Side.ExpectedLogOf(r, elog.AsSpan(f * k, k));
            f++;
        }
        return Task.FromResult(new ServedRows(local, expected, elog));
    }

    public Task<double[]> ServedColumnSums(CancellationToken cancellationToken)
    {
        var shard = RequireShard();
        var served = RequireServed();
        var k = shard.K;
        var sums = new double[k];
        for (var j = 0; j < shard.Rows * k; j++) sums[j % k] += served.Expected[j];
        // Added users are served like trained ones, so they count among the side's rows; one that replaces a trained
        // user is counted once, with its new factors.
        foreach (var user in _added.Values.OrderBy(u => u.User, StringComparer.Ordinal))
        {
            var trained = Array.BinarySearch(shard.Ids, user.User, StringComparer.Ordinal);
            for (var f = 0; f < k; f++) sums[f] += (double)user.Shape[f] / user.Rate[f] - (trained >= 0 ? served.Expected[trained * k + f] : 0);
        }
        return Task.FromResult(sums);
    }

    public async Task AddUser(AddedUser user, bool replaceExisting, CancellationToken cancellationToken)
    {
        if (!IsUserSide) throw new InvalidOperationException("users are added to user shards");
        var shard = RequireShard();
        if (RequireServed() is not { Final: true }) throw new ShardStateException($"user shard {GrainKey} serves no finished model yet");
        if (user.Shape.Length != shard.K || user.Rate.Length != shard.K) throw new ArgumentException($"an added user needs {shard.K} shapes and rates");
        if (!replaceExisting && (_added.ContainsKey(user.User) || Array.BinarySearch(shard.Ids, user.User, StringComparer.Ordinal) >= 0))
            throw new JobConflictException($"user '{user.User}' is already in the model; ask to update the existing user to replace it");
        var before = _added.TryGetValue(user.User, out var previous) ? previous : null;
        _added[user.User] = user;
        try
        {
            _addedETag = await _store.WriteAsync(StoreType + AddedUsersSuffix, GrainKey,
                (stream, _) =>
                {
                    AddedUsersFormat.Write(stream, _added.Values.ToArray());
                    return Task.CompletedTask;
                }, _addedETag, cancellationToken);
        }
        catch
        {
            // Not stored, so not served: the caller sees the failure and the shard what it had.
            if (before is null) _added.TryRemove(user.User, out _);
            else _added[user.User] = before;
            throw;
        }
    }

    public async Task<GlobalStepResult> StepServedRows(ServedRowsStep step, CancellationToken cancellationToken)
    {
        var shard = RequireShard();
        if (RequireServed() is not { Final: true }) throw new ShardStateException($"{SideName} shard {GrainKey} serves no finished model to fit further");
        var k = shard.K;
        var side = shard.Side;
        var stride = side.Stride;
        var perRow = shard.Plan.Training.StepSchedule == StepSchedule.PerRow;
        var schedule = StepSize.From(shard.Plan.Training);
        var zeros = new float[stride];
        var scratch = new RowScratch(k, stride);
        var delta = new double[k];
        for (var i = 0; i < step.Rows.Length; i++)
        {
            var o = step.Rows[i];
            var before = side.Expected.AsSpan(o * k, k).ToArray();
            var rho = perRow ? schedule.At(++shard.RowSteps[o]) : step.Rho;
            // The statistics are y·φ already: they enter as the exact sums, with no weight to multiply.
            if (!GlobalRowStep.StepTowards(side, o, zeros, step.Statistics.AsSpan(i * k, k), step.Scale, rho, step.OtherColumnSums, scratch))
            {
                // No NaN model is served: back to the finished model as stored.
                var iteration = await ReadSlotAsync(CheckpointRequest.FinalSlot, expectedIteration: null, cancellationToken);
                ServeFinal(shard, iteration);
                return new GlobalStepResult(new double[k], i, shard.Ids[o]);
            }
            for (var f = 0; f < k; f++) delta[f] += (double)side.Expected[o * k + f] - before[f];
        }
        return new GlobalStepResult(delta, step.Rows.Length, null);
    }

    public async Task<CheckpointResult> SaveServedModel(long stepCounter, CancellationToken cancellationToken)
    {
        var served = RequireServed();
        if (!served.Final) throw new ShardStateException($"{SideName} shard {GrainKey} serves no finished model");
        return await WriteCheckpoint(new CheckpointRequest(served.Iteration, CheckpointRequest.FinalSlot, _version, stepCounter), cancellationToken);
    }

    private async Task LoadAddedUsersAsync(CancellationToken cancellationToken)
    {
        _addedETag = await _store.ReadAsync(StoreType + AddedUsersSuffix, GrainKey, (stream, _) =>
        {
            foreach (var user in AddedUsersFormat.Read(stream)) _added[user.User] = user;
            return Task.CompletedTask;
        }, cancellationToken);
    }

    private async Task ClearAddedUsersAsync(CancellationToken cancellationToken)
    {
        await _store.ClearAsync(StoreType + AddedUsersSuffix, GrainKey, _addedETag, cancellationToken);
        _addedETag = null;
        _added.Clear();
    }

    /// <summary>After the final slot was written or read: the live parameters are the served model from now on.</summary>
    private void ServeFinal(SealedShard shard, int iteration) => _served = new ServedModel(shard.Side.Expected, iteration, Final: true);

    /// <summary>After a checkpoint was written while training: serve a copy of E[x] at it, which later steps do not touch.</summary>
    private void ServeCheckpoint(SealedShard shard, int iteration) => _served = new ServedModel((float[])shard.Side.Expected.Clone(), iteration, Final: false);

    private ServedModel RequireServed() => IsGaussianJob
        ? throw new ShardStateException($"{SideName} shard {GrainKey} belongs to a Gaussian model of ratings, served by its own Gaussian calls, not by HPF's")
        : _served ?? throw new ShardStateException($"{SideName} shard {GrainKey} has no model to serve yet (no checkpoint and not finished)");
}
