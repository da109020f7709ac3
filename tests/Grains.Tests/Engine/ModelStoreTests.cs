using System.Globalization;
using System.Text.Json;
using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Grains.Tests.Engine;

public sealed class ModelStoreTests : IDisposable
{
    private static readonly ModelSamples.Sample Sample = ModelSamples.Draw(users: 40, items: 30, factors: 3, seed: 5);
    private readonly string _root = Path.Combine(Path.GetTempPath(), "hpf-store-tests-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); }
        catch (DirectoryNotFoundException) { }
    }

    [Fact]
    public void SaveThenLoadGivesIdenticalArraysIdsAndOptions()
    {
        var (store, saved, model) = SaveTrained("round-trip");

        var entry = store.Open("round-trip");
        var loaded = entry.LoadModel();
        Assert.Equal(model.Options, loaded.Options);
        ModelAssert.Identical(model, loaded);

        var train = entry.LoadTrainingSet();
        Assert.Equal(Sample.Data.UserIds, train.UserIds);
        Assert.Equal(Sample.Data.ItemIds, train.ItemIds);
        Assert.Equal(Sample.Data.ByUser.RowStart, train.ByUser.RowStart);
        Assert.Equal(Sample.Data.ByUser.Other, train.ByUser.Other);
        Assert.Equal(Sample.Data.ByUser.Counts, train.ByUser.Counts);

        Assert.Equal(saved.Manifest.SaveId, entry.Manifest.SaveId);
        Assert.Equal(saved.Manifest.Curve, entry.Manifest.Curve);
        Assert.Equal(saved.Manifest.Priors, entry.Manifest.Priors);
        Assert.Equal(StopRule.MaxIter, entry.Manifest.StopRule);
    }

    [Fact]
    public void ModelJsonCarriesTimingsAndTheCurveInCamelCase()
    {
        var (_, saved, _) = SaveTrained("timed");
        using var json = JsonDocument.Parse(File.ReadAllText(saved.ManifestPath));
        var root = json.RootElement;
        Assert.Equal(4, root.GetProperty("iterations").GetInt32());
        Assert.True(root.GetProperty("secondsPerIteration").GetDouble() > 0);
        Assert.Equal(0.25, root.GetProperty("loadSeconds").GetDouble());
        Assert.Equal("maxiter", root.GetProperty("stopRule").GetString());
        var curve = root.GetProperty("curve");
        Assert.Equal(2, curve.GetArrayLength());
        Assert.Equal(2, curve[0].GetProperty("iteration").GetInt32());
        Assert.True(curve[0].TryGetProperty("trainLogLikelihood", out _));
        Assert.True(curve[0].TryGetProperty("validationLogLikelihood", out _));
        Assert.True(curve[0].TryGetProperty("seconds", out _));
    }

    [Fact]
    public void ListShowsSavedJobsByNameAndSkipsHalfWrittenOnes()
    {
        var (store, _, _) = SaveTrained("b-job");
        SaveTrained("a-job");
        Directory.CreateDirectory(Path.Combine(store.JobsDirectory, "no-manifest-yet"));
        var listing = store.List();
        Assert.Equal(["a-job", "b-job"], listing.Jobs.Select(j => j.Name));
        Assert.Empty(listing.Unreadable);
    }

    [Fact]
    public void AMissingJobIsReportedWithTheDirectory()
    {
        var store = new JobStore(_root);
        var e = Assert.Throws<JobStoreException>(() => store.Open("nope"));
        Assert.Equal(JobStoreFailure.NotFound, e.Failure);
        Assert.Equal($"job 'nope' not found in {store.JobsDirectory}", e.Message);
    }

    [Theory]
    [InlineData("")]
    [InlineData("..")]
    [InlineData(".hidden")]
    [InlineData("a/b")]
    [InlineData("a\\b")]
    [InlineData("with space")]
    public void BadJobNamesAreRefused(string name)
    {
        var e = Assert.Throws<JobStoreException>(() => JobStore.ValidateName(name));
        Assert.Equal(JobStoreFailure.InvalidName, e.Failure);
    }

    [Theory]
    [InlineData("ml-100k_v1.2")]
    [InlineData("u")]
    public void GoodJobNamesAreAccepted(string name) => Assert.Null(JobStore.NameProblem(name));

    [Theory]
    [InlineData("/data/u.data", "u")]
    [InlineData("/data/my ratings.tsv", "my_ratings")]
    [InlineData("/data/.tsv", "job")]
    public void SuggestedNamesAreValid(string file, string expected)
    {
        Assert.Equal(expected, JobStore.SuggestName(file));
        Assert.Null(JobStore.NameProblem(JobStore.SuggestName(file)));
    }

    [Fact]
    public void ATruncatedModelFileIsDamagedNotAnIndexError()
    {
        var (store, saved, _) = SaveTrained("cut");
        var bytes = File.ReadAllBytes(saved.ModelPath);
        File.WriteAllBytes(saved.ModelPath, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<JobStoreException>(() => store.Open("cut").LoadModel());
        Assert.Equal(JobStoreFailure.Damaged, e.Failure);
        Assert.Contains("model.bin", e.Message);
    }

    [Fact]
    public void GarbledBytesInATrainingSetAreDamagedNotACrash()
    {
        var (store, saved, _) = SaveTrained("garbled");
        var bytes = File.ReadAllBytes(saved.TrainingSetPath);
        // Past the 28-byte header: the id count and the first ids.
        for (var n = 28; n < 60; n++) bytes[n] = 0xFF;
        File.WriteAllBytes(saved.TrainingSetPath, bytes);
        var e = Assert.Throws<JobStoreException>(() => store.Open("garbled").LoadTrainingSet());
        Assert.Equal(JobStoreFailure.Damaged, e.Failure);
        Assert.Contains("train.bin", e.Message);
    }

    [Fact]
    public void FilesOfTwoSavesAreNotMixed()
    {
        var (store, first, _) = SaveTrained("mixed");
        var oldModel = File.ReadAllBytes(first.ModelPath);
        SaveTrained("mixed");
        File.WriteAllBytes(store.Open("mixed").ModelPath, oldModel);
        var e = Assert.Throws<JobStoreException>(() => store.Open("mixed").LoadModel());
        Assert.Contains("interrupted", e.Message);
    }

    [Fact]
    public void NoTemporaryFilesAreLeftBehind()
    {
        var (_, saved, _) = SaveTrained("clean");
        Assert.Equal(
            [JobStore.ModelFileName, JobStore.ManifestFileName, JobStore.TrainingSetFileName],
            Directory.GetFiles(saved.Directory).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    /// <summary>
    /// The training set and the model are written at once: a failure of either (here a directory in the file's place)
    /// reaches the caller as raised, not wrapped, after both writes have ended, and the manifest still names the save before.
    /// </summary>
    [Theory]
    [InlineData(JobStore.TrainingSetFileName)]
    [InlineData(JobStore.ModelFileName)]
    public void AFailedWriteOfEitherFileIsThrownAndLeavesTheManifest(string blocked)
    {
        var (store, first, model) = SaveTrained("blocked");
        var path = Path.Combine(first.Directory, blocked);
        File.Delete(path);
        Directory.CreateDirectory(Path.Combine(path, "in-the-way"));
        var manifest = first.Manifest with { SaveId = Guid.Empty };
        Assert.Throws<IOException>(() => store.Save(manifest, model, Sample.Data));
        Assert.Equal(first.Manifest.SaveId, store.Open("blocked").Manifest.SaveId);
        Assert.DoesNotContain(Directory.GetFiles(first.Directory), f => f.Contains(".tmp-", StringComparison.Ordinal));
    }

    [Fact]
    public void ExportWritesExpectedFactorsThatReadBackExactly()
    {
        var (_, saved, model) = SaveTrained("exported");
        var target = Path.Combine(_root, "export");
        JobStore.Export(model, saved.Manifest, target);

        var theta = model.UserFactorMatrix();
        var lines = File.ReadAllLines(Path.Combine(target, JobStore.ThetaFileName));
        Assert.Equal("user\t" + string.Join('\t', Enumerable.Range(1, model.Factors).Select(f => $"f{f}")), lines[0]);
        var rows = lines[1..];
        Assert.Equal(model.Users, rows.Length);
        for (var u = 0; u < rows.Length; u++)
        {
            var fields = rows[u].Split('\t');
            Assert.Equal(model.UserIds[u], fields[0]);
            Assert.Equal(model.Factors + 1, fields.Length);
            for (var k = 0; k < model.Factors; k++)
                Assert.Equal(theta[u * model.Factors + k], float.Parse(fields[k + 1], CultureInfo.InvariantCulture));
        }
        Assert.Equal(model.Items + 1, File.ReadAllLines(Path.Combine(target, JobStore.BetaFileName)).Length);
        Assert.StartsWith("item\tf1\t", File.ReadLines(Path.Combine(target, JobStore.BetaFileName)).First());

        var bare = Path.Combine(_root, "export-bare");
        JobStore.Export(model, saved.Manifest, bare, header: false);
        Assert.Equal(rows, File.ReadAllLines(Path.Combine(bare, JobStore.ThetaFileName)));
        Assert.True(File.Exists(Path.Combine(target, JobStore.ManifestFileName)));
    }

    [Fact]
    public void DataDirectoryPrefersTheOptionThenTheEnvironment()
    {
        Assert.Equal("/explicit", JobStore.ResolveDataDirectory("/explicit"));
        var fromEnvironment = Environment.GetEnvironmentVariable(JobStore.DataDirectoryVariable);
        var resolved = JobStore.ResolveDataDirectory(null);
        if (string.IsNullOrWhiteSpace(fromEnvironment))
            Assert.Equal("hpf", Path.GetFileName(resolved));
        else
            Assert.Equal(fromEnvironment, resolved);
    }

    [Fact]
    public void SVI_batch_fractions_are_saved_with_the_model_and_read_back()
    {
        var options = new TrainingOptions { Factors = 3, MaxIterations = 4, CheckEvery = 2, Stop = StopRule.MaxIter, Seed = 9, Threads = 1, UserBatchFraction = 0.3, ItemBatchFraction = 0.25 };
        var (store, saved, model) = SaveTrained("fractions", options);

        var loaded = store.Open("fractions").LoadModel();
        Assert.Equal(0.3, loaded.Options.UserBatchFraction);
        Assert.Equal(0.25, loaded.Options.ItemBatchFraction);
        Assert.Equal(model.Options, loaded.Options);
        Assert.Equal(0.3, saved.Manifest.UserBatchFraction);
    }

    [Fact]
    public void TheCountTransformIsSavedWithTheModel()
    {
        var (store, _, model) = SaveTrained("transformed", new TrainingOptions { Factors = 3, MaxIterations = 4, CheckEvery = 2, Stop = StopRule.MaxIter, Seed = 9, Threads = 1, Transform = CountTransform.Log1p });
        var entry = store.Open("transformed");
        Assert.Equal(CountTransform.Log1p, entry.LoadModel().Options.Transform);
        Assert.Equal(model.Options, entry.LoadModel().Options);
        Assert.Equal(CountTransform.Log1p, entry.Manifest.Transform);
    }

    private (JobStore Store, JobStoreEntry Saved, HpfModel Model) SaveTrained(string name, TrainingOptions? options = null)
    {
        options ??= new TrainingOptions { Factors = 3, MaxIterations = 4, CheckEvery = 2, Stop = StopRule.MaxIter, Seed = 9, Threads = 1 };
        var result = new InProcessTrainer(options).Train(Sample.Data);
        var manifest = JobStoreManifest.Describe(name, result, Sample.Data, loadSeconds: 0.25, "/data/sample.tsv", "tsv", null, DateTimeOffset.UtcNow);
        var store = new JobStore(_root);
        return (store, store.Save(manifest, result.Model, Sample.Data), result.Model);
    }
}
