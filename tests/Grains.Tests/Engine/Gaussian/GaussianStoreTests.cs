using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Engine.Gaussian;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Grains.Tests.Engine.Gaussian;

public sealed class GaussianStoreTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "hpf-gaussian-store-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); }
        catch (DirectoryNotFoundException) { }
    }

    [Fact]
    public void A_saved_Gaussian_job_loads_with_its_kind_rows_and_hyperparameters_and_is_refused_as_an_HPF_model()
    {
        var sample = GaussianSamples.Draw(users: 30, items: 25, factors: 2, density: 0.4, noise: 0.5, seed: 2);
        var options = new TrainingOptions { Model = ModelKind.Gaussian, Factors = 2, Members = 1, MaxIterations = 5, Stop = StopRule.MaxIter, CheckEvery = 5 };
        var result = new GaussianTrainer(options).Train(sample.Train);
        var store = new JobStore(_root);
        var manifest = JobStoreManifest.Describe("ratings", options, result.Report, sample.Train, 0.1, "/data/r.tsv", "tsv", null, DateTimeOffset.UtcNow);
        store.Save(manifest, result.Model, sample.Train);

        var entry = store.Open("ratings");
        Assert.Equal(ModelKind.Gaussian, entry.Manifest.Model);
        var loaded = entry.LoadGaussianModel();
        Assert.Equal(options, loaded.Options);
        Assert.Equal(result.Model.Users.Mean, loaded.Users.Mean);
        Assert.Equal(result.Model.Items.Covariance, loaded.Items.Covariance);
        Assert.Equal(result.Model.Hyperparameters.Mu, loaded.Hyperparameters.Mu);
        Assert.Equal(result.Model.Hyperparameters.Users.Covariance, loaded.Hyperparameters.Users.Covariance);
        Assert.Equal(result.Model.Predict(3, 4), loaded.Predict(3, 4));
        Assert.Equal(sample.Train.ByUser.Counts, entry.LoadTrainingSet().ByUser.Counts);

        var refused = Assert.Throws<JobStoreException>(entry.LoadModel);
        Assert.Contains("gaussian model, not an HPF model of counts", refused.Message);
    }
}
