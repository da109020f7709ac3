using System.Diagnostics;
using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Engine.Budget;
using Hpf.Cluster.Grains.Interfaces;
using Hpf.Cluster.Grains.Kernels;

namespace Hpf.Cluster.Grains.Engine;

/// <summary>
/// Trains HPF in this process over the kernels: full batch with alternating half-steps, or SVI, as the
/// options say. It is both the fastest path on one machine and the reference the cluster is checked against.
/// </summary>
public sealed class InProcessTrainer
{
    private readonly SimdWidth _width;

    public InProcessTrainer(TrainingOptions options, SimdWidth width = SimdWidth.Auto)
    {
        options.Validate();
        Options = options;
        _width = width;
    }

    public TrainingOptions Options { get; }

    /// <summary>The item → group map the budget model needs (<see cref="ModelKind.Budget"/>); ignored by HPF.</summary>
    public ItemGroupMap? Groups { get; init; }

    /// <param name="train">The training nonzeros.</param>
    /// <param name="validation">Held-out nonzeros for the val-llk rule and the curve; optional otherwise.</param>
    /// <param name="progress">Told after every iteration.</param>
    /// <exception cref="HpfNumericException">A parameter became NaN or ∞; no model is returned.</exception>
    /// <exception cref="ArgumentException">val-llk without a usable validation set, or no training data.</exception>
    public TrainingResult Train(Dataset train, HeldOutSet? validation = null, IProgress<TrainingProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        var o = Options;
        // The model is fitted to the transformed counts, as each shard transforms its rows when sealed.
        train = CountTransforms.Apply(o.Transform, train);
        validation = CountTransforms.Apply(o.Transform, validation);
        if (train.Nonzeros == 0) throw new ArgumentException("the training set has no nonzero counts", nameof(train));
        if (o.Stop == StopRule.ValLlk && (validation is null || validation.Count == 0))
            throw new ArgumentException("the val-llk stop rule needs a validation set with at least one nonzero whose user and item are in the training data", nameof(validation));
        var threads = o.EffectiveThreads;
        var clock = Stopwatch.StartNew();
        var groups = o.Model == ModelKind.Budget ? BudgetGroupsOf(train) : null;
        var state = new ModelState(train, o, _width) { Groups = groups };
        var budget = groups is null ? null : new BudgetSchedule(state, groups, threads);
        ITrainingSchedule schedule = budget is not null ? budget : (o.IsStochastic ? new StochasticSchedule(state, o, threads) : new FullBatchSchedule(state, threads));
        var stop = new StopCriterion(o.Stop, o.StopThreshold, o.IsStochastic);
        var curve = new List<LikelihoodPoint>();
        var previousTheta = o.Stop == StopRule.DiffNorm ? (float[])state.Users.Expected.Clone() : null;
        double? lastChecked = null;
        var reason = $"reached the maximum of {o.MaxIterations} iterations";
        var iterations = 0;
        while (iterations < o.MaxIterations)
        {
            cancellationToken.ThrowIfCancellationRequested();
            iterations++;
            schedule.RunIteration(iterations, cancellationToken);
            var stopNow = false;
            if (iterations % o.CheckEvery == 0 || iterations == o.MaxIterations)
            {
                var trainLlk = budget?.TrainLogLikelihood() ?? state.TrainLogLikelihood(threads);
                double? validationLlk = validation is not { Count: > 0 } ? null
                    : groups is not null ? BudgetLikelihood.HeldOut(validation, groups.ItemGroup, groups.Groups, state.Users.Expected, state.Items.Expected, o.Factors).Sum / validation.Count
                    : PoissonLikelihood.HeldOutMean(validation, state.Users.Expected, state.Items.Expected, o.Factors, o.Members, threads);
                if (!double.IsFinite(trainLlk)) throw new HpfNumericException(iterations, "user", "(training log-likelihood)");
                curve.Add(new LikelihoodPoint(iterations, trainLlk, validationLlk, clock.Elapsed.TotalSeconds));
                lastChecked = o.Stop == StopRule.ValLlk ? validationLlk : trainLlk;
                double checkedValue;
                if (o.Stop == StopRule.DiffNorm)
                {
                    checkedValue = DiffNorm.Of(state.Users.Expected, previousTheta);
                    state.Users.Expected.CopyTo(previousTheta!, 0);
                }
                else
                {
                    checkedValue = o.Stop == StopRule.ValLlk ? validationLlk!.Value : trainLlk;
                }
                if (o.Stop != StopRule.MaxIter && stop.ShouldStop(checkedValue, out var why))
                {
                    reason = $"{why} at iteration {iterations}";
                    stopNow = true;
                }
            }
            var elapsed = clock.Elapsed;
            var remaining = stopNow ? TimeSpan.Zero : elapsed / iterations * (o.MaxIterations - iterations);
            progress?.Report(new TrainingProgress(iterations, o.MaxIterations, lastChecked, elapsed, remaining));
            if (stopNow) break;
        }
        var seconds = clock.Elapsed.TotalSeconds;
        EnsureFinite(state, iterations);
        var report = new TrainingReport(iterations, seconds / iterations, seconds, reason, curve);
        return new TrainingResult(state.TakeModel(), report);
    }

    private ItemGroups BudgetGroupsOf(Dataset train)
    {
        var map = Groups ?? throw new ArgumentException("the budget model needs the item → group map (--groups)", nameof(Groups));
        var missing = map.MissingOf(train.ItemIds);
        if (missing.Count > 0) throw new ArgumentException($"{missing.Count} item(s) of the training data have no group in {map.Source}, the first '{missing[0]}'", nameof(Groups));
        return map.Dense(train.ItemIds);
    }

    /// <summary>The last line of defence: a model with a NaN or ∞ anywhere is never returned.</summary>
    private static void EnsureFinite(ModelState state, int iteration)
    {
        foreach (var side in new[] { state.Users, state.Items })
        {
            var k = side.K;
            var members = side.Members.Count;
            for (var r = 0; r < side.RowCount; r++)
            {
                for (var m = 0; m < members; m++)
                    if (!float.IsFinite(side.ActivityRate[r * members + m])) throw new HpfNumericException(iteration, side.Name, side.Ids[r]);
                for (var f = 0; f < k; f++)
                {
                    if (!float.IsFinite(side.Shape[r * k + f]) || !float.IsFinite(side.Rate[r * k + f]))
                        throw new HpfNumericException(iteration, side.Name, side.Ids[r]);
                }
            }
        }
    }
}
