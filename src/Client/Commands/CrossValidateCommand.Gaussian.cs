using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Hpf.Cluster.Client.Cluster;
using Hpf.Cluster.Client.CrossValidation;
using Hpf.Cluster.Client.Rendering;
using Hpf.Cluster.Client.Serving;
using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Engine.Gaussian;
using Hpf.Cluster.Grains.Interfaces;
using Spectre.Console;

namespace Hpf.Cluster.Client.Commands;

/// <summary>
/// <c>hpf cross-validate … --model gaussian</c>: each fold's Gaussian model trained (in process, or through a silo's
/// grains and read back), then scored here on the fold's test ratings: RMSE and MAE of the predicted means over every
/// test rating (a stranger from the population prior), the ranking metrics as <c>evaluate</c> takes them, and the
/// fold's training time.
/// </summary>
internal sealed partial class CrossValidateCommand
{
    private async Task CrossValidateGaussianAsync(ParseResult parsed, IReadOnlyList<CrossValidationFold> folds, TrainingOptions options, string prefix, int top,
        bool inProcess, GatewayList? cluster, bool json, string source, CliOutput progress, CancellationToken cancellationToken)
    {
        var scores = new List<FoldScore>();
        if (inProcess)
        {
            foreach (var fold in folds)
            {
                Announce(progress, fold, folds.Count);
                var trainer = new GaussianTrainer(options);
                var clock = Stopwatch.StartNew();
                var result = await TrainingProgressDisplay.RunAsync(progress, options.MaxIterations, options.CheckEvery,
                    sink => Task.Run(() => trainer.Train(fold.Train, null, sink, cancellationToken), cancellationToken), cancellationToken);
                scores.Add(ScoredGaussian(progress, fold, result.Model, top, clock.Elapsed.TotalSeconds));
            }
        }
        else
        {
            await using var session = await SiloSession.OpenAsync(cluster, () => _target.Connection.IdentityOf(parsed), _environment.Store(parsed).DataDirectory, progress, cancellationToken);
            if (!session.IsEmbedded) progress.Line($"cross-validating on {session.Jobs.Where}: jobs {prefix}-1 … {prefix}-{folds.Count}");
            var scratch = Directory.CreateTempSubdirectory("hpf-cross-validate-");
            try
            {
                foreach (var fold in folds)
                {
                    Announce(progress, fold, folds.Count);
                    var job = $"{prefix}-{fold.Number}";
                    var spec = _target.Spec(parsed, options, fold.Train.Nonzeros);
                    var replace = session.IsEmbedded || _target.Replace(parsed);
                    var trainFile = Path.Combine(scratch.FullName, $"fold-{fold.Number}-train.tsv");
                    TsvFile.WriteAtomically(trainFile, fold.Train, cancellationToken);
                    var clock = Stopwatch.StartNew();
                    try
                    {
                        await new ClusterTrainingRun(session.Jobs, progress).RunAsync(job, spec, replace, trainFile, null, DatasetFormat.Tsv, header: false, cancellationToken);
                    }
                    catch (ClusterApiException e) when (e.Failure == ClusterFailure.Conflict && !replace)
                    {
                        throw new CommandException(ExitCodes.BadOption, $"job '{job}' already exists on {session.Jobs.Where}: pass --replace to replace it, or name the folds with --job NAME", e);
                    }
                    var seconds = clock.Elapsed.TotalSeconds;
                    var model = await session.Jobs.DownloadGaussianModelAsync(job, options, cancellationToken);
                    await session.Jobs.DeleteAsync(job, cancellationToken);
                    scores.Add(ScoredGaussian(progress, fold, model, top, seconds));
                }
            }
            finally
            {
                scratch.Delete(recursive: true);
            }
        }
        ReportGaussian(_environment.Output, json, source, top, scores);
    }

    private static FoldScore ScoredGaussian(CliOutput progress, CrossValidationFold fold, GaussianModel model, int top, double seconds)
    {
        var served = SavedGaussianJobServing.Evaluate(model, fold.Train, fold.Test, top, 0);
        var report = served.Report;
        var errors = served.Ratings!;
        progress.Line(string.Create(CultureInfo.InvariantCulture,
            $"fold {fold.Number}: RMSE {errors.Rmse:F4}, MAE {errors.Mae:F4} ({errors.ColdStart} of {errors.Ratings} test ratings from the population prior), precision@{report.K} {report.PrecisionAtK:G4}, NDCG@{report.K} {report.NdcgAtK:G4}, trained in {seconds:F1} s"));
        return new FoldScore(fold.Number, fold.Train.Nonzeros, fold.Test.Nonzeros, report) { Ratings = errors, TrainingSeconds = seconds };
    }

    private static void ReportGaussian(CliOutput output, bool json, string source, int top, IReadOnlyList<FoldScore> scores)
    {
        var rmse = MetricSummary.Of([.. scores.Select(s => s.Ratings!.Rmse)]);
        var mae = MetricSummary.Of([.. scores.Select(s => s.Ratings!.Mae)]);
        var precision = MetricSummary.Of([.. scores.Select(s => s.Report.PrecisionAtK)]);
        var recall = MetricSummary.Of([.. scores.Select(s => s.Report.RecallAtK)]);
        var ndcg = MetricSummary.Of([.. scores.Select(s => s.Report.NdcgAtK)]);
        var seconds = MetricSummary.Of([.. scores.Select(s => s.TrainingSeconds ?? double.NaN)]);
        if (json)
        {
            output.WriteJson(new
            {
                data = source,
                model = "gaussian",
                k = top,
                folds = scores,
                mean = new { rmse = rmse.Mean, mae = mae.Mean, precisionAtK = precision.Mean, recallAtK = recall.Mean, ndcgAtK = ndcg.Mean, trainingSeconds = seconds.Mean },
                sd = new { rmse = rmse.StandardDeviation, mae = mae.StandardDeviation, precisionAtK = precision.StandardDeviation, recallAtK = recall.StandardDeviation, ndcgAtK = ndcg.StandardDeviation },
            });
            return;
        }
        var k = top.ToString(CultureInfo.InvariantCulture);
        var table = new Table()
            .Title(Markup.Escape($"{scores.Count}-fold cross-validation of the Gaussian model on {source}"))
            .AddColumn(new TableColumn("fold").RightAligned())
            .AddColumn(new TableColumn("train ratings").RightAligned())
            .AddColumn(new TableColumn("test ratings").RightAligned())
            .AddColumn(new TableColumn("RMSE").RightAligned())
            .AddColumn(new TableColumn("MAE").RightAligned())
            .AddColumn(new TableColumn($"precision@{k}").RightAligned())
            .AddColumn(new TableColumn($"recall@{k}").RightAligned())
            .AddColumn(new TableColumn($"NDCG@{k}").RightAligned())
            .AddColumn(new TableColumn("seconds").RightAligned());
        foreach (var s in scores)
        {
            table.AddRow(Count(s.Fold), Count(s.TrainNonzeros), Count(s.TestNonzeros), Fixed(s.Ratings!.Rmse), Fixed(s.Ratings.Mae),
                Number(s.Report.PrecisionAtK), Number(s.Report.RecallAtK), Number(s.Report.NdcgAtK), (s.TrainingSeconds ?? 0).ToString("F1", CultureInfo.InvariantCulture));
        }
        table.AddRow("mean ± sd", "", "", Markup.Escape($"{Fixed(rmse.Mean)} ± {Fixed(rmse.StandardDeviation)}"), Markup.Escape($"{Fixed(mae.Mean)} ± {Fixed(mae.StandardDeviation)}"),
            Spread(precision), Spread(recall), Spread(ndcg), seconds.Mean.ToString("F1", CultureInfo.InvariantCulture));
        output.Console.Write(table);
    }

    private static string Fixed(double value) => value.ToString("F4", CultureInfo.InvariantCulture);
}
