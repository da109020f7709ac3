using System.CommandLine;
using System.Globalization;
using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Evaluation;
using Spectre.Console;

namespace Hpf.Cluster.Client.Commands;

/// <summary><c>hpf evaluate JOB --test FILE</c>: held-out log-likelihood and top-K ranking quality of a saved job.</summary>
internal sealed class EvaluateCommand
{
    private readonly CommandEnvironment _environment;
    private readonly Argument<string> _job = new("JOB") { Description = "the saved job" };
    private readonly Option<string> _test = new("--test") { Description = "held-out triplets, in any format train reads", HelpName = "FILE", Required = true };
    private readonly Option<string> _format = OptionWords.Format();
    private readonly Option<int> _top = new("--top") { Description = "K of precision@K, recall@K and NDCG@K", DefaultValueFactory = _ => 20 };
    private readonly Option<int> _threads = new("--threads") { Description = "worker threads, 0 = all cores", DefaultValueFactory = _ => 0 };
    private readonly Option<bool> _json = new("--json") { Description = "print JSON instead of a table" };

    public EvaluateCommand(CommandEnvironment environment)
    {
        _environment = environment;
        Command = new Command("evaluate", "Score a saved job on held-out data: log-likelihood, precision, recall and NDCG at K")
        {
            _job, _test, _format, _top, _threads, _json,
        };
        Command.SetAction((parsed, cancellationToken) => Task.Run(() => Run(parsed, cancellationToken), cancellationToken));
    }

    public Command Command { get; }

    private int Run(ParseResult parsed, CancellationToken cancellationToken)
    {
        var top = parsed.GetValue(_top);
        if (top < 1) throw new CommandException(ExitCodes.BadOption, $"option '--top' must be ≥ 1, got {top}");
        var threads = parsed.GetValue(_threads);
        if (threads < 0) throw new CommandException(ExitCodes.BadOption, $"option '--threads' must be ≥ 0 (0 = all cores), got {threads}");
        var job = _environment.OpenJob(parsed, parsed.GetValue(_job)!);
        var testFile = parsed.GetValue(_test)!;
        var format = OptionWords.Parse(OptionWords.Formats, parsed.GetValue(_format)!);
        var test = TripletFileReader.Read(testFile, format, cancellationToken);
        var model = job.LoadModel();
        var train = job.LoadTrainingSet();
        var report = ModelEvaluator.Evaluate(model, train, test, top, threads, cancellationToken);

        var output = _environment.Output;
        if (parsed.GetValue(_json))
        {
            output.WriteJson(new { job = job.Name, test = testFile, report });
            return ExitCodes.Success;
        }
        var k = report.K.ToString(CultureInfo.InvariantCulture);
        var table = new Table()
            .Title(Markup.Escape($"job '{job.Name}' on {testFile}"))
            .AddColumn("metric")
            .AddColumn(new TableColumn("value").RightAligned());
        table.AddRow("held-out log-likelihood (per nonzero)", Number(report.HeldOutLogLikelihood));
        table.AddRow($"precision@{k}", Number(report.PrecisionAtK));
        table.AddRow($"recall@{k}", Number(report.RecallAtK));
        table.AddRow($"NDCG@{k}", Number(report.NdcgAtK));
        table.AddRow("users evaluated", Count(report.UsersEvaluated));
        table.AddRow("test nonzeros", Count(report.TestNonzeros));
        table.AddRow("skipped: unknown user", Count(report.SkippedUnknownUser));
        table.AddRow("skipped: unknown item", Count(report.SkippedUnknownItem));
        output.Console.Write(table);
        return ExitCodes.Success;
    }

    private static string Number(double value) => value.ToString("G6", CultureInfo.InvariantCulture);

    private static string Count(long value) => value.ToString(CultureInfo.InvariantCulture);
}
