using System.Text.Json;
using Hpf.Cluster.Grains.Engine;

namespace Hpf.Cluster.Client.Tests;

/// <summary>
/// A Gaussian job on a cluster through the console: <c>predict</c> and <c>recommend</c> with <c>--cluster</c> answer as
/// the saved job does, and <c>hpf pull</c> brings the job into another local store, where it serves the same.
/// </summary>
public sealed class GaussianClusterCommandTests : IDisposable
{
    private static readonly string[] Quick = ["--model", "gaussian", "--k", "3", "--max-iter", "6", "--stop", "maxiter", "--check-every", "3", "--threads", "1"];
    private readonly ScratchDirectory _trained = new();
    private readonly ScratchDirectory _pulled = new();

    public void Dispose()
    {
        _trained.Dispose();
        _pulled.Dispose();
    }

    [Fact]
    public async Task A_Gaussian_job_is_served_from_the_cluster_and_pulled_into_a_local_store_that_serves_the_same()
    {
        var ratings = _trained.Write("ratings.tsv", GaussianCommandTests.Sample(users: 60, items: 40, seed: 8));
        await using var cluster = await ClusterUnderTest.StartAsync();
        Task<CliRun> Trained(params string[] args) => CliRun.Of(["--data-dir", _trained.DataDirectory, .. args]);
        Task<CliRun> Pulled(params string[] args) => CliRun.Of(["--data-dir", _pulled.DataDirectory, .. args]);
        (await Trained(["train", ratings, "--job", "rated", "--user-shards", "2", "--item-shards", "2", .. Quick, .. cluster.Arguments])).Succeeded();

        var pull = (await Pulled(["pull", "rated", .. cluster.Arguments])).Succeeded();
        Assert.Contains("pulled Gaussian job 'rated'", pull.Out);
        var trained = new JobStore(_trained.DataDirectory).Open("rated");
        var pulled = new JobStore(_pulled.DataDirectory).Open("rated");
        var (a, b) = (trained.LoadGaussianModel(), pulled.LoadGaussianModel());
        Assert.Equal(a.UserIds, b.UserIds);
        Assert.Equal(a.Items.Mean, b.Items.Mean);
        Assert.Equal(a.Users.Covariance, b.Users.Covariance);
        Assert.Equal(a.Hyperparameters.Mu, b.Hyperparameters.Mu);
        Assert.Equal(a.Hyperparameters.Users.Covariance, b.Hyperparameters.Users.Covariance);
        var (x, y) = (trained.LoadTrainingSet(), pulled.LoadTrainingSet());
        Assert.Equal(x.ByUser.Other, y.ByUser.Other);
        Assert.Equal(x.ByUser.Counts, y.ByUser.Counts);
        Assert.Equal(6, pulled.Manifest.Iterations);

        // The cluster, the store it trained into and the store it was pulled into give the same answers; the test set
        // has users and items the job does not have, and negative ratings.
        var test = _trained.Write("test.tsv", GaussianCommandTests.Sample(users: 70, items: 50, seed: 9));
        foreach (var ask in new[]
        {
            new[] { "predict", "rated", "--user", "u3", "--item", "i7", "--json" },
            ["predict", "rated", "--user", "stranger", "--item", "i7", "--json"],
            ["recommend", "rated", "--user", "u3", "-n", "6", "--json"],
            ["recommend", "rated", "--new-user", "-n", "4", "--json"],
            ["fold-in", "rated", "--item", "i1:2.5", "--item", "i9:0.5", "-n", "5", "--json"],
            ["evaluate", "rated", "--test", test, "--top", "5", "--json"],
        })
        {
            using var local = JsonDocument.Parse((await Trained(ask)).Succeeded().Out);
            using var remote = JsonDocument.Parse((await Trained([.. ask, .. cluster.Arguments])).Succeeded().Out);
            using var copy = JsonDocument.Parse((await Pulled(ask)).Succeeded().Out);
            foreach (var other in new[] { remote, copy })
                AssertSameAnswer(local.RootElement, other.RootElement);
        }

        // Not offered through the cluster: refused in words.
        var addUser = await Trained(["add-user", "rated", "--user", "newcomer", "--item", "i1:2.5", .. cluster.Arguments]);
        Assert.NotEqual(0, addUser.ExitCode);
        Assert.Contains("Gaussian model of ratings", addUser.Error);
    }

    /// <summary>Ids equal, numbers equal to float64 rounding of the rows' read-out.</summary>
    private static void AssertSameAnswer(JsonElement expected, JsonElement actual)
    {
        switch (expected.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in expected.EnumerateObject())
                {
                    if (property.Name is "servedIteration" or "fromCheckpoint") continue;
                    Assert.True(actual.TryGetProperty(property.Name, out var value), $"no {property.Name} in {actual}");
                    AssertSameAnswer(property.Value, value);
                }
                break;
            case JsonValueKind.Array:
                Assert.Equal(expected.GetArrayLength(), actual.GetArrayLength());
                foreach (var (e, a) in expected.EnumerateArray().Zip(actual.EnumerateArray())) AssertSameAnswer(e, a);
                break;
            case JsonValueKind.Number:
                Assert.Equal(expected.GetDouble(), actual.GetDouble(), 1e-9 * Math.Max(1, Math.Abs(expected.GetDouble())));
                break;
            default:
                Assert.Equal(expected.ToString(), actual.ToString());
                break;
        }
    }
}
