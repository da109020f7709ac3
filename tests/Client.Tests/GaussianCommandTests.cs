using System.Globalization;
using System.Text;
using System.Text.Json;
using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Engine.Gaussian;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Client.Tests;

/// <summary>The console's Gaussian model of ratings on a small sampled file: train on both paths, serve, evaluate, cross-validate, refuse.</summary>
public sealed class GaussianCommandTests : IDisposable
{
    private static readonly string[] Quick = ["--model", "gaussian", "--k", "3", "--max-iter", "6", "--stop", "maxiter", "--check-every", "3", "--threads", "1"];
    private readonly ScratchDirectory _scratch = new();
    private readonly string _ratings;

    public GaussianCommandTests() => _ratings = _scratch.Write("ratings.tsv", Sample(users: 80, items: 60, seed: 3));

    public void Dispose() => _scratch.Dispose();

    [Fact]
    public async Task Trained_in_process_or_through_the_embedded_silo_the_job_predicts_a_rating_with_its_standard_deviation()
    {
        (await Cli(["train", _ratings, "--job", "here", "--in-process", .. Quick])).Succeeded();
        var silo = (await Cli(["train", _ratings, "--job", "there", .. Quick])).Succeeded();
        Assert.Contains("noise σ", silo.Out);

        var store = new JobStore(_scratch.DataDirectory);
        Assert.Equal(ModelKind.Gaussian, store.Open("there").Manifest.Model);
        var here = store.Open("here").LoadGaussianModel();
        var there = store.Open("there").LoadGaussianModel();
        Assert.Equal(here.Hyperparameters.Mu, there.Hyperparameters.Mu, 1e-9);
        var expected = new GaussianTrainer(new TrainingOptions { Model = ModelKind.Gaussian, Factors = 3, Members = 1, MaxIterations = 6, Stop = StopRule.MaxIter, CheckEvery = 3, Threads = 1 })
            .Train(TripletFileReader.Read(_ratings, ratings: true)).Model;
        Assert.Equal(expected.Users.Mean, here.Users.Mean);

        using var json = JsonDocument.Parse((await Cli("predict", "there", "--user", "u1", "--item", "i2", "--json")).Succeeded().Out);
        var prediction = expected.Predict(expected.IndexOfUser("u1"), expected.IndexOfItem("i2"));
        Assert.Equal(prediction.Mean, json.RootElement.GetProperty("score").GetDouble(), 1e-6);
        Assert.Equal(prediction.StandardDeviation, json.RootElement.GetProperty("standardDeviation").GetDouble(), 1e-6);
        Assert.False(json.RootElement.GetProperty("fromPrior").GetBoolean());

        var stranger = (await Cli("predict", "here", "--user", "nobody", "--item", "i2")).Succeeded();
        Assert.Contains("predicted rating", stranger.Out);
        Assert.Contains("from the population prior", stranger.Out);
    }

    [Fact]
    public async Task Recommend_leaves_out_rated_items_a_new_user_gets_the_prior_and_fold_in_takes_a_few_ratings()
    {
        (await Cli(["train", _ratings, "--job", "r", "--in-process", .. Quick])).Succeeded();
        var data = TripletFileReader.Read(_ratings, ratings: true);
        var rated = data.ByUser.OthersOf(data.IndexOfUser("u5")).ToArray().Select(i => data.ItemIds[i]).ToHashSet();
        using var top = JsonDocument.Parse((await Cli("recommend", "r", "--user", "u5", "-n", "60", "--json")).Succeeded().Out);
        var items = top.RootElement.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("item").GetString()!).ToList();
        Assert.Equal(data.Items - rated.Count, items.Count);
        Assert.DoesNotContain(items, rated.Contains);

        (await Cli("recommend", "r", "--new-user", "-n", "3")).Succeeded();
        var folded = (await Cli("fold-in", "r", "--item", "i1:5", "--item", "i2:4.5", "-n", "3")).Succeeded();
        Assert.Contains("posterior mean of the factors then the bias", folded.Out);
        var add = await Cli("add-user", "r", "--user", "new", "--item", "i1:5");
        Assert.Equal(ExitCodes.BadOption, add.ExitCode);
        Assert.Contains("Gaussian model of ratings", add.Error);
    }

    [Fact]
    public async Task Evaluate_and_cross_validate_over_MovieLens_style_folds_report_RMSE_and_MAE_as_the_engine_computes_them()
    {
        var folds = Path.Combine(_scratch.Root, "folds");
        Directory.CreateDirectory(folds);
        for (var f = 1; f <= 5; f++)
        {
            // MovieLens's layout (user, item, rating, timestamp); these are sampled ratings, not MovieLens's.
            File.WriteAllText(Path.Combine(folds, $"u{f}.base"), Sample(60, 40, (ulong)(10 + f), timestamp: true));
            File.WriteAllText(Path.Combine(folds, $"u{f}.test"), Sample(60, 40, (ulong)(20 + f), timestamp: true, density: 0.05));
        }
        using var cv = JsonDocument.Parse((await Cli(["cross-validate", "--ml-folds", folds, "--in-process", "--json", "--top", "5", .. Quick])).Succeeded().Out);
        var scored = cv.RootElement.GetProperty("folds").EnumerateArray().ToList();
        Assert.Equal(5, scored.Count);
        var options = new TrainingOptions { Model = ModelKind.Gaussian, Factors = 3, Members = 1, MaxIterations = 6, Stop = StopRule.MaxIter, CheckEvery = 3, Threads = 1 };
        var train = TripletFileReader.Read(Path.Combine(folds, "u1.base"), ratings: true);
        var test = TripletFileReader.Read(Path.Combine(folds, "u1.test"), ratings: true);
        var errors = GaussianEvaluation.Errors(new GaussianTrainer(options).Train(train).Model, test);
        Assert.Equal(errors.Rmse, scored[0].GetProperty("ratings").GetProperty("rmse").GetDouble(), 1e-12);
        Assert.Equal(errors.Mae, scored[0].GetProperty("ratings").GetProperty("mae").GetDouble(), 1e-12);
        Assert.True(cv.RootElement.GetProperty("mean").GetProperty("rmse").GetDouble() > 0);

        (await Cli(["train", Path.Combine(folds, "u1.base"), "--job", "u1", "--in-process", .. Quick])).Succeeded();
        var evaluated = (await Cli("evaluate", "u1", "--test", Path.Combine(folds, "u1.test"))).Succeeded();
        Assert.Contains("RMSE", evaluated.Out);
        Assert.Contains(errors.Rmse.ToString("G6", CultureInfo.InvariantCulture), evaluated.Out);
    }

    [Fact]
    public async Task Options_the_Gaussian_model_cannot_honour_are_refused_in_plain_words()
    {
        foreach (var (extra, words) in new[]
        {
            (new[] { "--transform", "log1p" }, "--transform is for the poisson model"),
            (["--members", "3"], "--members is for the poisson model"),
            (["--users-per-batch", "10"], "trains full batch"),
            (["--stop", "diffnorm"], "diffnorm is for the poisson model"),
            (["--export", _scratch.Root], "a Gaussian job has no such files"),
        })
        {
            var run = await Cli(["train", _ratings, "--in-process", "--model", "gaussian", .. extra]);
            Assert.Equal(ExitCodes.BadOption, run.ExitCode);
            Assert.Contains(words, run.Error);
        }
    }

    private Task<CliRun> Cli(params string[] args) => CliRun.Of(["--data-dir", _scratch.DataDirectory, .. args]);

    /// <summary>Ratings around 0.5 from a two-factor model, so that zero and negative values are among them.</summary>
    internal static string Sample(int users, int items, ulong seed, bool timestamp = false, double density = 0.3)
    {
        var random = new Random((int)seed);
        double Normal() => Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
        var text = new StringBuilder();
        for (var u = 0; u < users; u++)
        {
            for (var i = 0; i < items; i++)
            {
                if (random.NextDouble() >= density) continue;
                var r = 0.5 + Math.Sin(u) * Math.Cos(i) + 0.5 * Math.Cos(u * 0.7) * Math.Sin(i * 1.3) + 0.4 * Normal();
                text.Append(CultureInfo.InvariantCulture, $"u{u}\ti{i}\t{r:F2}");
                text.Append(timestamp ? "\t881250949\n" : "\n");
            }
        }
        return text.ToString();
    }
}
