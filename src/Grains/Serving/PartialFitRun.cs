using System.Diagnostics;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Interfaces;
using Hpf.Cluster.Grains.Loading;

namespace Hpf.Cluster.Grains.Serving;

/// <summary>
/// hpfrec's partial_fit over a finished job's grains: SVI (HPF-MATH.md) over new users' counts, the job's clock t
/// going on. Per mini-batch of users:
/// <list type="number">
/// <item>local step: each user folded in against the served items until their factors settle (a new user has no
/// state to take one coordinate step from);</item>
/// <item>global step: every item the batch touched moves by ρ_t = (t + τ0)^(−κ) towards
/// c + (users / batch users)·Σ y·φ (shape) and E[η] + Σ_u E[θ_u] over all users (rate), then its popularity rate;
/// untouched items keep their values, as in the job's own SVI.</item>
/// </list>
/// The users are then stored in their user shards (as add-user does) and the items' final slots written again, so a
/// restarted cluster serves the refitted model. Item parameters move only here; no other row of the model does.
/// </summary>
internal sealed class PartialFitRun(string job, ShardSet shards, TrainingOptions options, long trainedUsers, long stepFrom)
{
    /// <summary>Users folded in at a time within a batch.</summary>
    private const int UsersInFlight = 8;

    public async Task<PartialFitResult> RunAsync(PartialFitRequest request, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var n = request.Users.Length;
        if (request.Items.Length != n || request.Counts.Length != n) throw new ArgumentException("a partial fit needs one user, item and count per triplet");
        var byUser = new SortedDictionary<string, List<ItemCount>>(StringComparer.Ordinal);
        for (var t = 0; t < n; t++)
        {
            if (!byUser.TryGetValue(request.Users[t], out var counts)) byUser[request.Users[t]] = counts = [];
            counts.Add(new ItemCount(request.Items[t], request.Counts[t]));
        }
        if (byUser.Count == 0) throw new ArgumentException("a partial fit needs at least one user's counts");
        var users = byUser.Keys.ToArray();
        var k = options.Factors;

        // Which users are new decides the scale: the model's users after this pass, over the batch's.
        var known = await Task.WhenAll(users.Select(u => shards.Users[ShardRouting.ShardOf(u, shards.Users.Length)].ServeUser(u, cancellationToken)));
        var newUsers = known.Count(v => v is null);
        var totalUsers = trainedUsers + newUsers;
        var batchSize = request.UsersPerBatch ?? options.UserBatchSize(trainedUsers) ?? users.Length;
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(request), batchSize, "users per batch must be ≥ 1");

        var userSums = await ServedItems.ColumnSumsAsync(shards.Users, k, cancellationToken);
        // A user already served is folded in afresh: its old factors leave the column sum, its new ones join it.
        for (var u = 0; u < users.Length; u++)
        {
            if (known[u] is { } old) for (var f = 0; f < k; f++) userSums[f] -= old.Theta[f];
        }

        var step = StepSize.From(options);
        var t0 = stepFrom;
        var folded = new ServedItems.FoldedUser[users.Length];
        var unknown = new SortedSet<string>(StringComparer.Ordinal);
        var touched = new HashSet<(int, int)>();
        var batches = 0;
        for (var start = 0; start < users.Length; start += batchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var end = Math.Min(users.Length, start + batchSize);
            var itemSums = await ServedItems.ColumnSumsAsync(shards.Items, k, cancellationToken);
            using var gate = new SemaphoreSlim(UsersInFlight);
            await Task.WhenAll(Enumerable.Range(start, end - start).Select(async u =>
            {
                await gate.WaitAsync(cancellationToken);
                try
                {
                    folded[u] = await ServedItems.FoldUserAsync(shards, options, users[u], byUser[users[u]], statistics: true, cancellationToken, itemSums);
                }
                finally
                {
                    gate.Release();
                }
            }));

            for (var u = start; u < end; u++)
            {
                foreach (var item in folded[u].Unknown) unknown.Add(item);
                for (var f = 0; f < k; f++) userSums[f] += (double)folded[u].Shape[f] / folded[u].Rate[f];
            }
            var t = ++t0;
            var rho = step.At(t);
            var scale = (double)totalUsers / (end - start);
            await Task.WhenAll(Enumerable.Range(0, shards.Items.Length).Select(async j =>
            {
                // The batch's y·φ per item of shard j, added in user order.
                var sums = new SortedDictionary<int, double[]>();
                for (var u = start; u < end; u++)
                {
                    var seen = folded[u].Seen[j];
                    var phi = folded[u].Statistics[j];
                    for (var i = 0; i < seen.Length; i++)
                    {
                        if (!sums.TryGetValue(seen[i], out var row)) sums[seen[i]] = row = new double[k];
                        for (var f = 0; f < k; f++) row[f] += phi[i * k + f];
                    }
                }
                if (sums.Count == 0) return;
                var rows = sums.Keys.ToArray();
                var statistics = new double[rows.Length * k];
                for (var i = 0; i < rows.Length; i++) sums[rows[i]].CopyTo(statistics, i * k);
                var result = await shards.Items[j].StepServedRows(new ServedRowsStep(rows, statistics, rho, scale, userSums), cancellationToken);
                if (result.FailedRow is { } failed) throw new HpfNumericException(batches + 1, "item", failed, $"item shard {j}, partial fit");
                lock (touched)
                {
                    foreach (var r in rows) touched.Add((j, r));
                }
            }));
            batches++;
        }

        // Stored for serving with the factors of their local step, as SVI leaves a batch's users.
        await Task.WhenAll(users.Select((user, u) =>
        {
            var f = folded[u];
            return shards.Users[ShardRouting.ShardOf(user, shards.Users.Length)]
                .AddUser(new AddedUser(user, f.Shape, f.Rate, f.ActivityRate, f.Seen, f.SeenCounts), replaceExisting: true, cancellationToken);
        }));
        await Task.WhenAll(shards.Items.Select(s => s.SaveServedModel(t0, cancellationToken)));
        return new PartialFitResult(job, users.Length, newUsers, batches, stepFrom, t0, touched.Count, [.. unknown], clock.Elapsed.TotalSeconds);
    }
}
