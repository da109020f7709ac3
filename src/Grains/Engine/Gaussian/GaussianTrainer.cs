using System.Diagnostics;
using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Grains.Engine.Gaussian;

/// <summary>A finished Gaussian training run: the model (never with a NaN or ∞ in it) and its report.</summary>
public sealed record GaussianTrainingResult(GaussianModel Model, TrainingReport Report);

/// <summary>
/// Trains the hierarchical Gaussian model in this process by coordinate ascent, one iteration being: the user rows,
/// the user population, the item rows, the item population, then μ and σ² — each step the exact maximiser of the bound
/// with the rest held, so the bound never decreases. The cluster runs the same steps on shards; this is its reference.
/// </summary>
public sealed class GaussianTrainer
{
    public GaussianTrainer(TrainingOptions options)
    {
        options.Validate();
        Options = options;
    }

    public TrainingOptions Options { get; }

    /// <param name="train">The training ratings (a dataset read with ratings as values).</param>
    /// <param name="validation">Held-out ratings: the curve's validation value is their mean predictive log-density.</param>
    /// <param name="bound">Told the bound after every step of every iteration (five per iteration), for tests and traces.</param>
    /// <exception cref="HpfNumericException">A row became NaN or ∞; no model is returned.</exception>
    public GaussianTrainingResult Train(Dataset train, HeldOutSet? validation = null, IProgress<TrainingProgress>? progress = null,
        CancellationToken cancellationToken = default, Action<double>? bound = null)
    {
        var o = Options;
        if (train.Nonzeros == 0) throw new ArgumentException("the training set has no ratings", nameof(train));
        if (o.Stop == StopRule.ValLlk && (validation is null || validation.Count == 0))
            throw new ArgumentException("the val-llk stop rule needs a validation set with at least one rating whose user and item are in the training data", nameof(validation));
        var threads = o.EffectiveThreads;
        var priors = o.GaussianPriors;
        var clock = Stopwatch.StartNew();
        var users = new GaussianRows("user", train.UserIds, o.Factors);
        var items = new GaussianRows("item", train.ItemIds, o.Factors);
        users.Initialize(o.Seed);
        items.Initialize(o.Seed);
        var hyper = Start(train, o.Factors);
        var userSums = users.Sums();
        var itemSums = items.Sums();
        var stop = new StopCriterion(o.Stop, o.StopThreshold);
        var curve = new List<LikelihoodPoint>();
        double? lastChecked = null;
        var reason = $"reached the maximum of {o.MaxIterations} iterations";
        var iterations = 0;
        while (iterations < o.MaxIterations)
        {
            cancellationToken.ThrowIfCancellationRequested();
            iterations++;
            var step = Step(train.ByUser, items.AllMoments(), users, hyper.Users, hyper, threads, iterations, cancellationToken);
            userSums = step.Side;
            bound?.Invoke(GaussianHyperUpdate.Bound(step.Fit, userSums, itemSums, hyper, priors));
            hyper = hyper with { Users = GaussianHyperUpdate.Population(userSums, priors) };
            bound?.Invoke(GaussianHyperUpdate.Bound(step.Fit, userSums, itemSums, hyper, priors));

            step = Step(train.ByItem, users.AllMoments(), items, hyper.Items, hyper, threads, iterations, cancellationToken);
            itemSums = step.Side;
            bound?.Invoke(GaussianHyperUpdate.Bound(step.Fit, userSums, itemSums, hyper, priors));
            hyper = hyper with { Items = GaussianHyperUpdate.Population(itemSums, priors) };
            bound?.Invoke(GaussianHyperUpdate.Bound(step.Fit, userSums, itemSums, hyper, priors));
            var (mu, noise) = GaussianHyperUpdate.Noise(step.Fit, priors);
            hyper = hyper with { Mu = mu, NoiseVariance = noise };
            var now = GaussianHyperUpdate.Bound(step.Fit, userSums, itemSums, hyper, priors);
            bound?.Invoke(now);

            var stopNow = false;
            if (iterations % o.CheckEvery == 0 || iterations == o.MaxIterations)
            {
                var perRating = now / step.Fit.Count;
                if (!double.IsFinite(perRating)) throw new HpfNumericException(iterations, "user", "(bound)");
                double? validationValue = validation is { Count: > 0 } ? GaussianEvaluation.MeanLogDensity(new GaussianModel(o, users, items, hyper), validation) : null;
                curve.Add(new LikelihoodPoint(iterations, perRating, validationValue, clock.Elapsed.TotalSeconds));
                var checkedValue = o.Stop == StopRule.ValLlk ? validationValue!.Value : perRating;
                lastChecked = checkedValue;
                if (o.Stop is StopRule.TrainLlk or StopRule.ValLlk && stop.ShouldStop(checkedValue, out var why))
                {
                    // The rule's words are HPF's; what it checked here is the bound.
                    reason = $"{why.Replace("training log-likelihood", "bound per rating", StringComparison.Ordinal)} at iteration {iterations}";
                    stopNow = true;
                }
            }
            var elapsed = clock.Elapsed;
            var remaining = stopNow ? TimeSpan.Zero : elapsed / iterations * (o.MaxIterations - iterations);
            progress?.Report(new TrainingProgress(iterations, o.MaxIterations, lastChecked, elapsed, remaining));
            if (stopNow) break;
        }
        var seconds = clock.Elapsed.TotalSeconds;
        if (users.FirstNonFinite() is { } badUser) throw new HpfNumericException(iterations, "user", badUser);
        if (items.FirstNonFinite() is { } badItem) throw new HpfNumericException(iterations, "item", badItem);
        return new GaussianTrainingResult(new GaussianModel(o, users, items, hyper), new TrainingReport(iterations, seconds / iterations, seconds, reason, curve));
    }

    /// <summary>The hyperparameters training starts from: μ the mean rating, σ² their variance (1 when that is 0), standard population priors.</summary>
    public static GaussianHyperparameters Start(Dataset train, int factors)
    {
        double sum = 0, squares = 0;
        foreach (var r in train.ByUser.Counts)
        {
            sum += r;
            squares += (double)r * r;
        }
        var n = train.Nonzeros;
        var mu = sum / n;
        var variance = squares / n - mu * mu;
        return new GaussianHyperparameters(mu, variance > 1e-12 ? variance : 1.0, GaussianPopulation.Standard(factors), GaussianPopulation.Standard(factors));
    }

    private static GaussianStepOutcome Step(SparseRows rows, double[] moments, GaussianRows own, GaussianPopulation prior, GaussianHyperparameters hyper,
        int threads, int iteration, CancellationToken cancellationToken)
    {
        var outcome = GaussianHalfStep.Run(rows, moments, own, prior, hyper.Mu, hyper.NoiseVariance, threads, cancellationToken);
        if (outcome.FailedRow >= 0) throw new HpfNumericException(iteration, own.Side, own.Ids[outcome.FailedRow]);
        return outcome;
    }
}
