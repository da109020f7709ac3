using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Grains.Engine;

/// <summary>
/// A saved job's <c>model.json</c>: what was trained on what, with which settings, how long it took and how
/// the log-likelihood went. Small and human-readable, so listing jobs never touches the binary files.
/// </summary>
public sealed record JobStoreManifest
{
    public int FormatVersion { get; init; } = ModelStoreFormat.Version;
    public required string Name { get; init; }
    /// <summary>Set by <see cref="JobStore.Save"/>; model.bin and train.bin carry the same id, so files of two saves are never mixed.</summary>
    public Guid SaveId { get; init; }
    public required DateTimeOffset CreatedUtc { get; init; }
    public required string DataFile { get; init; }
    public string? DataFormat { get; init; }
    public string? ValidationFile { get; init; }

    public required int Users { get; init; }
    public required int Items { get; init; }
    public required int Nonzeros { get; init; }

    /// <summary>The model the job fits (<see cref="ModelKind"/>); jobs saved before there was a choice are HPF.</summary>
    public ModelKind Model { get; init; }
    /// <summary>The budget model's groups (items' groups are in model.bin); null for other models.</summary>
    public int? Groups { get; init; }

    public required int K { get; init; }
    /// <summary>The ensemble's members (<see cref="TrainingOptions.Members"/>); theta.tsv holds E[θ]/Members, so θ·β is the predicted count.</summary>
    public int Members { get; init; } = 1;
    public required ulong Seed { get; init; }
    public required HpfPriors Priors { get; init; }
    public required StopRule StopRule { get; init; }
    public required int MaxIterations { get; init; }
    public required int CheckEvery { get; init; }
    public required double StopThreshold { get; init; }
    public int? UsersPerBatch { get; init; }
    public int? ItemsPerBatch { get; init; }
    public double? UserBatchFraction { get; init; }
    public double? ItemBatchFraction { get; init; }
    public required double StepTau0 { get; init; }
    public required double StepKappa { get; init; }
    public required StepSchedule StepSchedule { get; init; }
    /// <summary>What was done to each count before training (none, log1p, binary).</summary>
    public CountTransform Transform { get; init; }
    /// <summary>As asked for (0 = all cores); the result does not depend on it.</summary>
    public required int Threads { get; init; }

    public required int Iterations { get; init; }
    /// <summary>Mean over the training iterations, loading excluded.</summary>
    public required double SecondsPerIteration { get; init; }
    public required double TrainingSeconds { get; init; }
    public required double LoadSeconds { get; init; }
    public required string StopReason { get; init; }
    public double? FinalTrainLogLikelihood { get; init; }
    public double? FinalValidationLogLikelihood { get; init; }
    public required IReadOnlyList<LikelihoodPoint> Curve { get; init; }

    /// <summary>The manifest of a finished run; <paramref name="loadSeconds"/> is the time spent reading the data files.</summary>
    public static JobStoreManifest Describe(
        string name, TrainingResult result, Dataset train, double loadSeconds,
        string dataFile, string? dataFormat, string? validationFile, DateTimeOffset createdUtc) =>
        Describe(name, result.Model.Options, result.Report, train, loadSeconds, dataFile, dataFormat, validationFile, createdUtc,
            result.Model.Groups?.Groups);

    /// <summary>The manifest of a finished run of any model, from its options and report; <paramref name="groups"/> for a budget model.</summary>
    public static JobStoreManifest Describe(
        string name, TrainingOptions o, TrainingReport report, Dataset train, double loadSeconds,
        string dataFile, string? dataFormat, string? validationFile, DateTimeOffset createdUtc, int? groups = null)
    {
        var last = report.Curve.Count > 0 ? report.Curve[^1] : null;
        return new JobStoreManifest
        {
            Name = name,
            CreatedUtc = createdUtc.ToUniversalTime(),
            DataFile = dataFile,
            DataFormat = dataFormat,
            ValidationFile = validationFile,
            Users = train.Users,
            Items = train.Items,
            Nonzeros = train.Nonzeros,
            Model = o.Model,
            Groups = groups,
            K = o.Factors,
            Members = o.Members,
            Seed = o.Seed,
            Priors = o.Priors,
            StopRule = o.Stop,
            MaxIterations = o.MaxIterations,
            CheckEvery = o.CheckEvery,
            StopThreshold = o.StopThreshold,
            UsersPerBatch = o.UsersPerBatch,
            ItemsPerBatch = o.ItemsPerBatch,
            UserBatchFraction = o.UserBatchFraction,
            ItemBatchFraction = o.ItemBatchFraction,
            StepTau0 = o.StepTau0,
            StepKappa = o.StepKappa,
            StepSchedule = o.StepSchedule,
            Transform = o.Transform,
            Threads = o.Threads,
            Iterations = report.Iterations,
            SecondsPerIteration = report.SecondsPerIteration,
            TrainingSeconds = report.TrainingSeconds,
            LoadSeconds = loadSeconds,
            StopReason = report.StopReason,
            FinalTrainLogLikelihood = last?.TrainLogLikelihood,
            FinalValidationLogLikelihood = last?.ValidationLogLikelihood,
            Curve = report.Curve,
        };
    }
}
