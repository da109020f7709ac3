using Hpf.Cluster.Grains.Data;

namespace Hpf.Cluster.Benchmarks;

/// <summary>Finds MovieLens 100k beside the project (../shared/data/ml-100k/u.data) when it is there; its licence keeps it out of the repository.</summary>
internal static class BenchmarkData
{
    public static string? FindMovieLens()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("HPF_MOVIELENS");
        if (fromEnvironment is not null && File.Exists(fromEnvironment)) return fromEnvironment;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "data", "ml-100k", "u.data");
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    /// <summary>MovieLens 100k if found, else a sample from the HPF model of the same size.</summary>
    public static Dataset MovieLensOrSample()
    {
        var path = FindMovieLens();
        return path is not null
            ? TripletFileReader.Read(path)
            : SyntheticDataset.Generate(new SyntheticOptions { Users = 943, Items = 1682, Factors = 20, Seed = 7, TargetNonzeros = 100_000 }).Data;
    }
}
