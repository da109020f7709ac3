using System.CommandLine;
using System.Globalization;
using Spectre.Console;

namespace Hpf.Cluster.Client.Commands;

/// <summary>
/// <c>hpf evaluate JOB --test FILE</c>: held-out log-likelihood and top-K ranking quality of a saved job, or with
/// <c>--cluster</c> of the cluster's job (the file is streamed to the cluster, which reads it with the same reader).
/// </summary>
internal sealed partial class EvaluateCommand
{
    private readonly CommandEnvironment _environment;
    private readonly ServingOptions _serving = new();
    private readonly Argument<string> _job = new("JOB") { Description = "the job: saved, or on the cluster with --cluster" };
    private readonly Option<string> _test = new("--test") { Description = "held-out triplets, in any format train reads", HelpName = "FILE", Required = true };
    private readonly Option<string> _format = OptionWords.Format();
    private readonly Option<bool> _header = OptionWords.Header();
    private readonly Option<int> _top = new("--top") { Description = "K of precision@K, recall@K and NDCG@K", DefaultValueFactory = _ => 20 };
    private readonly Option<int> _threads = new("--threads") { Description = "worker threads here, 0 = all cores (the cluster uses its own)", DefaultValueFactory = _ => 0 };

    public EvaluateCommand(CommandEnvironment environment)
    {
        _environment = environment;
        Command = new Command("evaluate", "Score a saved job on held-out data: log-likelihood, precision, recall and NDCG at K")
        {
            _job, _test, _format, _header, _top, _threads, _serving.Json, _groups,
        };
        foreach (var option in _serving.Connection.All) Command.Options.Add(option);
        Command.SetAction(RunAsync);
    }

    public Command Command { get; }

    private async Task<int> RunAsync(ParseResult parsed, CancellationToken cancellationToken)
    {
        var top = parsed.GetValue(_top);
        if (top < 1) throw new CommandException(ExitCodes.BadOption, $"option '--top' must be ≥ 1, got {top}");
        var threads = parsed.GetValue(_threads);
        if (threads < 0) throw new CommandException(ExitCodes.BadOption, $"option '--threads' must be ≥ 0 (0 = all cores), got {threads}");
        var testFile = parsed.GetValue(_test)!;
        var format = OptionWords.Parse(OptionWords.Formats, parsed.GetValue(_format)!);
        // Checked here, so that a typo is a local error and not a request.
        if (!File.Exists(testFile)) throw new FileNotFoundException($"file not found: {testFile}", testFile);
        await using var model = await _serving.OpenAsync(_environment, parsed, parsed.GetValue(_job)!, cancellationToken);
        var served = await model.EvaluateAsync(testFile, format, parsed.GetValue(_header), top, threads, cancellationToken);
        var report = served.Report;
        var withinGroups = EvaluateWithinGroups(parsed, model, testFile, format, top, threads, cancellationToken);

        var output = _environment.Output;
        if (parsed.GetValue(_serving.Json))
        {
            if (served.Ratings is { } errors)
                output.WriteJson(new { job = model.Job, test = testFile, servedIteration = served.ServedIteration, fromCheckpoint = served.FromCheckpoint, report, ratings = errors });
            else
                output.WriteJson(new { job = model.Job, test = testFile, servedIteration = served.ServedIteration, fromCheckpoint = served.FromCheckpoint, report, withinGroups });
            return ExitCodes.Success;
        }
        if (Rendering.ServedItemsTable.Origin(model.Job, served.ServedIteration, served.FromCheckpoint) is { } origin) output.Warn(origin);
        var k = report.K.ToString(CultureInfo.InvariantCulture);
        var table = new Table()
            .Title(Markup.Escape($"job '{model.Job}' on {testFile}"))
            .AddColumn("metric")
            .AddColumn(new TableColumn("value").RightAligned());
        if (served.Ratings is { } ratings)
        {
            // A Gaussian model: the errors of the predicted mean over every test rating, strangers from the population prior.
            table.AddRow("RMSE", Number(ratings.Rmse));
            table.AddRow("MAE", Number(ratings.Mae));
            table.AddRow("test ratings (cold start among them)", $"{Count(ratings.Ratings)} ({Count(ratings.ColdStart)})");
            table.AddRow("held-out log-density (per known rating)", Number(report.HeldOutLogLikelihood));
        }
        else
        {
            table.AddRow("held-out log-likelihood (per nonzero)", Number(report.HeldOutLogLikelihood));
        }
        table.AddRow($"precision@{k}", Number(report.PrecisionAtK));
        table.AddRow($"recall@{k}", Number(report.RecallAtK));
        table.AddRow($"NDCG@{k}", Number(report.NdcgAtK));
        table.AddRow("users evaluated", Count(report.UsersEvaluated));
        if (withinGroups is not null) AddGroupRows(table, withinGroups);
        table.AddRow("test nonzeros", Count(report.TestNonzeros));
        table.AddRow("skipped: unknown user", Count(report.SkippedUnknownUser));
        table.AddRow("skipped: unknown item", Count(report.SkippedUnknownItem));
        output.Console.Write(table);
        return ExitCodes.Success;
    }

    private static string Number(double value) => value.ToString("G6", CultureInfo.InvariantCulture);

    private static string Count(long value) => value.ToString(CultureInfo.InvariantCulture);
}
