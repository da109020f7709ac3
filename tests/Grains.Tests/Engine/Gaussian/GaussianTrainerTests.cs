using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Engine.Gaussian;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Grains.Tests.Engine.Gaussian;

public sealed class GaussianTrainerTests
{
    private static readonly GaussianSamples.Sample Sample = GaussianSamples.Draw(users: 150, items: 120, factors: 3, density: 0.3, noise: 0.5, seed: 11);

    private static TrainingOptions Options(int factors = 3, int iterations = 40) => new()
    {
        Model = ModelKind.Gaussian, Factors = factors, Members = 1, MaxIterations = iterations, Stop = StopRule.MaxIter, CheckEvery = 10, Threads = 2, Seed = 3,
    };

    [Fact]
    public void Training_on_ratings_drawn_from_the_model_recovers_the_noise_and_the_true_means()
    {
        var result = new GaussianTrainer(Options()).Train(Sample.Train);
        var model = result.Model;

        var noise = Math.Sqrt(model.Hyperparameters.NoiseVariance);
        Assert.InRange(noise, 0.9 * Sample.Noise, 1.15 * Sample.Noise);
        Assert.InRange(model.Hyperparameters.Mu, Sample.Mu - 1.0, Sample.Mu + 1.0);

        // Predicted means against the noise-free truth on held-out pairs: below the noise and far below the spread of the
        // truth. About 30 ratings a row fix each row's 4 entries to ±σ·√(4/30), so ≈ 0.5σ is what the data allow.
        double squares = 0, spread = 0, mean = 0;
        var n = 0;
        var test = Sample.Test;
        for (var u = 0; u < test.Users; u++)
        {
            var user = model.IndexOfUser(test.UserIds[u]);
            var items = test.ByUser.OthersOf(u);
            foreach (var i in items)
            {
                var item = model.IndexOfItem(test.ItemIds[i]);
                var truth = Sample.TrueMean(int.Parse(test.UserIds[u][1..]), int.Parse(test.ItemIds[i][1..]));
                var e = model.Predict(user, item).Mean - truth;
                squares += e * e;
                mean += truth;
                spread += truth * truth;
                n++;
            }
        }
        var rmseToTruth = Math.Sqrt(squares / n);
        var truthSd = Math.Sqrt(spread / n - mean / n * (mean / n));
        Assert.True(rmseToTruth < 0.7 * Sample.Noise, $"RMSE to the true means {rmseToTruth:F3}");
        Assert.True(rmseToTruth < 0.3 * truthSd, $"RMSE to the true means {rmseToTruth:F3} against their spread {truthSd:F3}");

        var errors = GaussianEvaluation.Errors(model, test);
        Assert.InRange(errors.Rmse, 0.9 * Sample.Noise, 1.3 * Sample.Noise);
        Assert.Equal(test.Nonzeros, errors.Ratings);
    }

    [Fact]
    public void The_bound_never_decreases_between_half_steps_and_hyperparameter_updates()
    {
        var trace = new List<double>();
        var sample = GaussianSamples.Draw(users: 60, items: 50, factors: 2, density: 0.3, noise: 0.7, seed: 4);
        var result = new GaussianTrainer(Options(factors: 4, iterations: 25)).Train(sample.Train, bound: trace.Add);

        Assert.Equal(25 * 5, trace.Count);
        for (var t = 1; t < trace.Count; t++)
        {
            var slack = 1e-9 * Math.Abs(trace[t - 1]);
            Assert.True(trace[t] >= trace[t - 1] - slack, $"the bound fell from {trace[t - 1]:R} to {trace[t]:R} at step {t} (iteration {t / 5 + 1}, step {t % 5 + 1} of 5)");
        }
        Assert.True(trace[^1] > trace[0]);
        // The bound the trainer traces from its sums is the bound computed directly from the model, term by term.
        Assert.Equal(NaiveBound(result.Model, sample.Train), trace[^1], 1e-7 * Math.Abs(trace[^1]));
    }

    [Fact]
    public void A_user_with_no_ratings_gets_the_population_prior_and_fold_in_moves_it_towards_its_ratings()
    {
        var model = new GaussianTrainer(Options(iterations: 20)).Train(Sample.Train).Model;
        var item = 0;
        var cold = model.Predict(-1, item);
        var prior = model.Hyperparameters.Users;
        var (mean, covariance) = model.UserPosterior(-1);
        Assert.Equal(prior.Mean, mean);
        Assert.Equal(prior.Covariance, covariance);
        // A cold-start prediction is more uncertain than a trained user's.
        Assert.True(cold.StandardDeviation > model.Predict(0, item).StandardDeviation);

        var high = model.FoldIn([1, 2, 3, 4, 5], [5f, 5f, 5f, 5f, 5f]);
        var low = model.FoldIn([1, 2, 3, 4, 5], [1f, 1f, 1f, 1f, 1f]);
        Assert.True(model.Predict(high, item).Mean > cold.Mean);
        Assert.True(model.Predict(low, item).Mean < cold.Mean);
        Assert.True(model.Predict(high, item).StandardDeviation < cold.StandardDeviation);
        var none = model.FoldIn([], []);
        Assert.Equal(mean, none.Mean);
    }

    [Fact]
    public void Held_out_users_and_items_the_model_never_saw_are_scored_from_the_prior()
    {
        var model = new GaussianTrainer(Options(iterations: 10)).Train(Sample.Train).Model;
        var builder = new DatasetBuilder(ratings: true);
        builder.Add("stranger", GaussianSamples.ItemId(0), 4);
        builder.Add(GaussianSamples.UserId(0), "new-film", 2);
        var errors = GaussianEvaluation.Errors(model, builder.Build());
        Assert.Equal(2, errors.Ratings);
        Assert.Equal(2, errors.ColdStart);
        Assert.True(double.IsFinite(errors.Rmse));
    }

    [Fact]
    public void The_train_llk_rule_stops_on_the_bound_and_says_so()
    {
        var report = new GaussianTrainer(Options(iterations: 400) with { Stop = StopRule.TrainLlk, StopThreshold = 1e-3 }).Train(Sample.Train).Report;
        Assert.True(report.Iterations < 400);
        Assert.StartsWith("bound per rating relative gain", report.StopReason);
    }

    [Fact]
    public void The_same_options_and_ratings_give_the_same_model_whatever_the_threads()
    {
        var one = new GaussianTrainer(Options(iterations: 8) with { Threads = 1 }).Train(Sample.Train).Model;
        var four = new GaussianTrainer(Options(iterations: 8) with { Threads = 4 }).Train(Sample.Train).Model;
        Assert.Equal(one.Users.Mean, four.Users.Mean);
        Assert.Equal(one.Items.Covariance, four.Items.Covariance);
        Assert.Equal(one.Hyperparameters.NoiseVariance, four.Hyperparameters.NoiseVariance);
    }

    /// <summary>The bound from its definition, rating by rating and row by row, with no shared sums.</summary>
    private static double NaiveBound(GaussianModel model, Dataset train)
    {
        var h = model.Hyperparameters;
        var priors = model.Options.GaussianPriors;
        var k = model.Factors;
        var d = k + 1;
        double bound = 0;
        for (var u = 0; u < train.Users; u++)
        {
            var (mu, su) = model.UserPosterior(u);
            var items = train.ByUser.OthersOf(u);
            var ratings = train.ByUser.CountsOf(u);
            for (var n = 0; n < items.Length; n++)
            {
                var (mi, si) = model.ItemPosterior(items[n]);
                double dot = 0;
                for (var f = 0; f < k; f++) dot += mu[f] * mi[f];
                var es = dot + mu[k] + mi[k];
                // Var(xᵀy) = tr(ΣxΣy) + mxᵀΣy mx + myᵀΣx my; then the biases and their covariances with xᵀy.
                double variance = 0;
                for (var f = 0; f < k; f++)
                {
                    for (var g = 0; g < k; g++)
                        variance += su[f * d + g] * si[g * d + f] + mu[f] * si[f * d + g] * mu[g] + mi[f] * su[f * d + g] * mi[g];
                    variance += 2 * mi[f] * su[f * d + k] + 2 * mu[f] * si[f * d + k];
                }
                variance += su[k * d + k] + si[k * d + k];
                var residual = ratings[n] - h.Mu - es;
                bound += -0.5 * Math.Log(2 * Math.PI * h.NoiseVariance) - (residual * residual + variance) / (2 * h.NoiseVariance);
            }
        }
        for (var u = 0; u < train.Users; u++) bound -= Divergence(model.UserPosterior(u), h.Users, d);
        for (var i = 0; i < train.Items; i++) bound -= Divergence(model.ItemPosterior(i), h.Items, d);
        foreach (var population in new[] { h.Users, h.Items })
        {
            // Normal–inverse-Wishart: N(m₀; 0, Σ₀/κ₀) · IW(Σ₀; 2b₀I, 2a₀), without the constants no update changes.
            var precision = Inverse(population.Covariance, d);
            var logDet = LogDeterminant(population.Covariance, d);
            double quadratic = 0, trace = 0;
            for (var j = 0; j < d; j++)
            {
                for (var l = 0; l < d; l++) quadratic += population.Mean[j] * precision[j * d + l] * population.Mean[l];
                trace += precision[j * d + j];
            }
            bound += -0.5 * (logDet - d * Math.Log(priors.MeanPseudoRows)) - 0.5 * priors.MeanPseudoRows * quadratic
                - 0.5 * (2 * priors.VarianceShape + d + 1) * logDet - priors.VarianceScale * trace;
        }
        return bound + LogInverseGamma(h.NoiseVariance, priors.NoiseShape, priors.NoiseScale);
    }

    /// <summary>KL(N(m, S) ‖ N(m₀, Σ₀)) = ½[tr(Σ₀⁻¹S) + (m − m₀)ᵀΣ₀⁻¹(m − m₀) − D + log det Σ₀ − log det S].</summary>
    private static double Divergence((double[] Mean, double[] Covariance) q, GaussianPopulation p, int d)
    {
        var precision = Inverse(p.Covariance, d);
        double total = -d - LogDeterminant(q.Covariance, d) + LogDeterminant(p.Covariance, d);
        for (var j = 0; j < d; j++)
        {
            for (var l = 0; l < d; l++)
                total += precision[j * d + l] * (q.Covariance[l * d + j] + (q.Mean[j] - p.Mean[j]) * (q.Mean[l] - p.Mean[l]));
        }
        return 0.5 * total;
    }

    /// <summary>The inverse by Gauss–Jordan elimination with partial pivoting (the model uses Cholesky).</summary>
    private static double[] Inverse(double[] matrix, int d)
    {
        var a = (double[])matrix.Clone();
        var inverse = new double[d * d];
        for (var j = 0; j < d; j++) inverse[j * d + j] = 1;
        for (var c = 0; c < d; c++)
        {
            var pivot = c;
            for (var r = c + 1; r < d; r++) if (Math.Abs(a[r * d + c]) > Math.Abs(a[pivot * d + c])) pivot = r;
            for (var j = 0; j < d; j++)
            {
                (a[c * d + j], a[pivot * d + j]) = (a[pivot * d + j], a[c * d + j]);
                (inverse[c * d + j], inverse[pivot * d + j]) = (inverse[pivot * d + j], inverse[c * d + j]);
            }
            var diagonal = a[c * d + c];
            for (var j = 0; j < d; j++)
            {
                a[c * d + j] /= diagonal;
                inverse[c * d + j] /= diagonal;
            }
            for (var r = 0; r < d; r++)
            {
                if (r == c) continue;
                var factor = a[r * d + c];
                for (var j = 0; j < d; j++)
                {
                    a[r * d + j] -= factor * a[c * d + j];
                    inverse[r * d + j] -= factor * inverse[c * d + j];
                }
            }
        }
        return inverse;
    }

    /// <summary>log det by Gaussian elimination with partial pivoting (the model uses Cholesky).</summary>
    private static double LogDeterminant(double[] matrix, int d)
    {
        var a = (double[])matrix.Clone();
        double sum = 0;
        for (var c = 0; c < d; c++)
        {
            var pivot = c;
            for (var r = c + 1; r < d; r++) if (Math.Abs(a[r * d + c]) > Math.Abs(a[pivot * d + c])) pivot = r;
            if (pivot != c) for (var j = 0; j < d; j++) (a[c * d + j], a[pivot * d + j]) = (a[pivot * d + j], a[c * d + j]);
            sum += Math.Log(Math.Abs(a[c * d + c]));
            for (var r = c + 1; r < d; r++)
            {
                var factor = a[r * d + c] / a[c * d + c];
                for (var j = c; j < d; j++) a[r * d + j] -= factor * a[c * d + j];
            }
        }
        return sum;
    }

    private static double LogInverseGamma(double x, double shape, double scale) =>
        shape * Math.Log(scale) - Hpf.Cluster.Grains.Kernels.SpecialFunctions.LogGamma(shape) - (shape + 1) * Math.Log(x) - scale / x;
}
