using System.CommandLine;
using System.Globalization;
using Hpf.Cluster.Client.Cluster;
using Hpf.Cluster.Client.CrossValidation;
using Hpf.Cluster.Client.Rendering;
using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Evaluation;
using Hpf.Cluster.Grains.Interfaces;
using Spectre.Console;

namespace Hpf.Cluster.Client.Commands;

/// <summary>
/// <c>hpf cross-validate FILE --folds K</c> (or <c>--ml-folds DIR</c>, MovieLens's u1…u5): trains a model on each fold's
/// training part, where train would (in process, the embedded silo, or a cluster), scores it on the fold's test part,
/// and prints each fold and the mean ± sd of held-out log-likelihood, precision@k, recall@k and NDCG@k. On a silo each
/// fold is a job of its own, scored by the cluster's evaluation and deleted afterwards; nothing is saved locally.
/// </summary>
internal sealed partial class CrossValidateCommand
{
    private readonly CommandEnvironment _environment;
    private readonly Argument<string?> _file = new("FILE") { Description = "the data to split into folds: user, item, count triplets", Arity = ArgumentArity.ZeroOrOne };
    private readonly Option<int> _folds = new("--folds") { Description = "number of folds K: each nonzero is in one test set", DefaultValueFactory = _ => 5, HelpName = "K" };
    private readonly Option<string?> _mlFolds = new("--ml-folds") { Description = "use MovieLens's own folds instead: u1.base/u1.test … u5.base/u5.test in DIR", HelpName = "DIR" };
    private readonly Option<string> _format = OptionWords.Format();
    private readonly Option<bool> _header = OptionWords.Header();
    private readonly Option<int> _top = new("--top") { Description = "K of precision@K, recall@K and NDCG@K", DefaultValueFactory = _ => 20 };
    private readonly TrainingOptionSet _training = new();
    private readonly TrainingTargetOptions _target = new("train and score the folds on this cluster");
    private readonly Option<string?> _job = new("--job") { Description = "on a silo, the folds are jobs NAME-1 … NAME-K (default: cv-<file name>)", HelpName = "NAME" };
    private readonly Option<bool> _json = new("--json") { Description = "print JSON instead of a table (progress goes to standard error)" };

    public CrossValidateCommand(CommandEnvironment environment)
    {
        _environment = environment;
        Command = new Command("cross-validate", "Train and score a model on each of K folds of a file (or MovieLens's u1…u5); print each fold and the mean ± sd")
        {
            _file, _folds, _mlFolds, _format, _header, _top,
        };
        foreach (var option in _training.All) Command.Options.Add(option);
        foreach (var option in _target.All) Command.Options.Add(option);
        Command.Options.Add(_job);
        Command.Options.Add(_json);
        Command.SetAction(RunAsync);
    }

    public Command Command { get; }

    private async Task<int> RunAsync(ParseResult parsed, CancellationToken cancellationToken)
    {
        var file = parsed.GetValue(_file);
        var mlFolds = parsed.GetValue(_mlFolds);
        if ((file is null) == (mlFolds is null))
            throw new CommandException(ExitCodes.BadOption, file is null ? "give the data FILE to split, or MovieLens's folds with --ml-folds DIR" : "FILE and --ml-folds exclude each other: split a file, or use MovieLens's folds");
        if (mlFolds is not null && parsed.GetResult(_folds) is { Implicit: false })
            throw new CommandException(ExitCodes.BadOption, "--folds is for splitting a FILE; --ml-folds has its own five");
        var top = parsed.GetValue(_top);
        if (top < 1) throw new CommandException(ExitCodes.BadOption, $"option '--top' must be ≥ 1, got {top}");
        var options = _training.Read(parsed);
        if (options.Model == ModelKind.Budget)
            throw new CommandException(ExitCodes.BadOption, "cross-validate fits the hpf and gaussian models; for the budget model, split the data (hpf split) and use train --groups and evaluate");
        if (options.Stop == StopRule.ValLlk)
            throw new CommandException(ExitCodes.BadOption, "--stop val-llk needs held-out data, and each fold's test set is kept for scoring; use another stop rule");
        var (inProcess, cluster) = _target.Resolve(parsed);
        var prefix = parsed.GetValue(_job) ?? "cv-" + (file is null ? "ml-folds" : JobStore.SuggestName(file));
        JobStore.ValidateName($"{prefix}-{(mlFolds is null ? parsed.GetValue(_folds) : MovieLensFolds.Count)}");
        var format = OptionWords.Parse(OptionWords.Formats, parsed.GetValue(_format)!);
        var json = parsed.GetValue(_json);
        var output = _environment.Output;
        // With --json, standard output is the JSON alone: the folds' progress goes to standard error.
        var progress = json ? CliOutput.ForWriters(output.Error, output.Error) : output;

        var ratings = options.Model == ModelKind.Gaussian;
        var folds = await Task.Run(() => mlFolds is not null
            ? MovieLensFolds.Read(mlFolds, format, cancellationToken, ratings)
            : KFoldSplit.Of(TripletFileReader.Read(file!, format, cancellationToken, parsed.GetValue(_header), ratings), parsed.GetValue(_folds), options.Seed, cancellationToken), cancellationToken);
        if (ratings)
        {
            await CrossValidateGaussianAsync(parsed, folds, options, prefix, top, inProcess, cluster, json, file ?? mlFolds!, progress, cancellationToken);
            return ExitCodes.Success;
        }

        var scores = new List<FoldScore>();
        if (inProcess)
        {
            foreach (var fold in folds)
                scores.Add(await ScoreInProcessAsync(fold, folds.Count, options, top, progress, cancellationToken));
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
                    var spec = _target.Spec(parsed, options, fold.Train.Nonzeros);
                    var replace = session.IsEmbedded || _target.Replace(parsed);
                    scores.Add(await ScoreOnSiloAsync(session.Jobs, $"{prefix}-{fold.Number}", fold, folds.Count, spec, replace, top, scratch.FullName, progress, cancellationToken));
                }
            }
            finally
            {
                scratch.Delete(recursive: true);
            }
        }
        Report(output, json, file ?? mlFolds!, top, scores);
        return ExitCodes.Success;
    }

    private static async Task<FoldScore> ScoreInProcessAsync(CrossValidationFold fold, int folds, TrainingOptions options, int top, CliOutput progress, CancellationToken cancellationToken)
    {
        Announce(progress, fold, folds);
        var trainer = new InProcessTrainer(options);
        var result = await TrainingProgressDisplay.RunAsync(progress, options.MaxIterations, options.CheckEvery,
            sink => Task.Run(() => trainer.Train(fold.Train, null, sink, cancellationToken), cancellationToken), cancellationToken);
        var report = await Task.Run(() => ModelEvaluator.Evaluate(result.Model, fold.Train, fold.Test, top, options.Threads, cancellationToken), cancellationToken);
        return Scored(progress, fold, report);
    }

    /// <summary>A fold as a job on the silo: its training part uploaded and trained, its test part scored there, then the job deleted.</summary>
    private static async Task<FoldScore> ScoreOnSiloAsync(ClusterJobs client, string job, CrossValidationFold fold, int folds, JobSpec spec, bool replace, int top,
        string scratch, CliOutput progress, CancellationToken cancellationToken)
    {
        Announce(progress, fold, folds);
        var trainFile = Path.Combine(scratch, $"fold-{fold.Number}-train.tsv");
        var testFile = Path.Combine(scratch, $"fold-{fold.Number}-test.tsv");
        TsvFile.WriteAtomically(trainFile, fold.Train, cancellationToken);
        TsvFile.WriteAtomically(testFile, fold.Test, cancellationToken);
        try
        {
            await new ClusterTrainingRun(client, progress).RunAsync(job, spec, replace, trainFile, null, DatasetFormat.Tsv, header: false, cancellationToken);
        }
        catch (ClusterApiException e) when (e.Failure == ClusterFailure.Conflict && !replace)
        {
            throw new CommandException(ExitCodes.BadOption, $"job '{job}' already exists on {client.Where}: pass --replace to replace it, or name the folds with --job NAME", e);
        }
        ClusterEvaluation served;
        await using (var test = File.OpenRead(testFile))
            served = await client.EvaluateAsync(job, test, testFile, DatasetFormat.Tsv, top, cancellationToken);
        // The fold's job was only a means to its score.
        await client.DeleteAsync(job, cancellationToken);
        var report = new EvaluationReport(served.HeldOutLogLikelihood, served.PrecisionAtK, served.RecallAtK, served.NdcgAtK, served.K,
            served.UsersEvaluated, checked((int)served.TestNonzeros), checked((int)served.SkippedUnknownUser), checked((int)served.SkippedUnknownItem));
        return Scored(progress, fold, report);
    }

    private static void Announce(CliOutput progress, CrossValidationFold fold, int folds) =>
        progress.Line($"fold {fold.Number}/{folds}: training on {fold.Train.Nonzeros} nonzeros ({fold.Train.Users} users, {fold.Train.Items} items), testing on {fold.Test.Nonzeros}");

    private static FoldScore Scored(CliOutput progress, CrossValidationFold fold, EvaluationReport report)
    {
        progress.Line(string.Create(CultureInfo.InvariantCulture,
            $"fold {fold.Number}: held-out llk {report.HeldOutLogLikelihood:G6}, precision@{report.K} {report.PrecisionAtK:G4}, recall@{report.K} {report.RecallAtK:G4}, NDCG@{report.K} {report.NdcgAtK:G4}"));
        return new FoldScore(fold.Number, fold.Train.Nonzeros, fold.Test.Nonzeros, report);
    }

    private static void Report(CliOutput output, bool json, string source, int top, IReadOnlyList<FoldScore> scores)
    {
        var llk = MetricSummary.Of([.. scores.Select(s => s.Report.HeldOutLogLikelihood)]);
        var precision = MetricSummary.Of([.. scores.Select(s => s.Report.PrecisionAtK)]);
        var recall = MetricSummary.Of([.. scores.Select(s => s.Report.RecallAtK)]);
        var ndcg = MetricSummary.Of([.. scores.Select(s => s.Report.NdcgAtK)]);
        if (json)
        {
            output.WriteJson(new
            {
                data = source,
                k = top,
                folds = scores,
                mean = new { heldOutLogLikelihood = llk.Mean, precisionAtK = precision.Mean, recallAtK = recall.Mean, ndcgAtK = ndcg.Mean },
                sd = new { heldOutLogLikelihood = llk.StandardDeviation, precisionAtK = precision.StandardDeviation, recallAtK = recall.StandardDeviation, ndcgAtK = ndcg.StandardDeviation },
            });
            return;
        }
        var k = top.ToString(CultureInfo.InvariantCulture);
        var table = new Table()
            .Title(Markup.Escape($"{scores.Count}-fold cross-validation of {source}"))
            .AddColumn(new TableColumn("fold").RightAligned())
            .AddColumn(new TableColumn("train nonzeros").RightAligned())
            .AddColumn(new TableColumn("test nonzeros").RightAligned())
            .AddColumn(new TableColumn("held-out llk").RightAligned())
            .AddColumn(new TableColumn($"precision@{k}").RightAligned())
            .AddColumn(new TableColumn($"recall@{k}").RightAligned())
            .AddColumn(new TableColumn($"NDCG@{k}").RightAligned());
        foreach (var s in scores)
        {
            table.AddRow(Count(s.Fold), Count(s.TrainNonzeros), Count(s.TestNonzeros), Number(s.Report.HeldOutLogLikelihood),
                Number(s.Report.PrecisionAtK), Number(s.Report.RecallAtK), Number(s.Report.NdcgAtK));
        }
        table.AddRow("mean ± sd", "", "", Spread(llk), Spread(precision), Spread(recall), Spread(ndcg));
        output.Console.Write(table);
    }

    private static string Spread(MetricSummary summary) => Markup.Escape($"{Number(summary.Mean)} ± {Number(summary.StandardDeviation)}");

    private static string Number(double value) => value.ToString("G5", CultureInfo.InvariantCulture);

    private static string Count(int value) => value.ToString(CultureInfo.InvariantCulture);
}
