using System.CommandLine;
using System.Globalization;
using Hpf.Cluster.Client.Rendering;
using Hpf.Cluster.Client.Serving;
using Spectre.Console;

namespace Hpf.Cluster.Client.Commands;

/// <summary>
/// <c>hpf predict JOB --user ID --item ID</c>: the model's expected count E[θ_u]·E[β_i] for one pair; <c>--pairs FILE</c>
/// for many in one request. From the saved job, or the cluster's job with <c>--cluster</c>.
/// </summary>
internal sealed class PredictCommand
{
    private readonly CommandEnvironment _environment;
    private readonly ServingOptions _serving = new();
    private readonly Argument<string> _job = new("JOB") { Description = "the job: saved, or on the cluster with --cluster" };
    private readonly Option<string?> _user = new("--user") { Description = "the user id", HelpName = "ID" };
    private readonly Option<string?> _item = new("--item") { Description = "the item id", HelpName = "ID" };
    private readonly Option<string?> _pairs = new("--pairs") { Description = "predict every (user, item) pair of FILE (user<TAB>item lines) in one request", HelpName = "FILE" };

    public PredictCommand(CommandEnvironment environment)
    {
        _environment = environment;
        Command = new Command("predict", "Predict the count E[θ_u]·E[β_i] of a user and an item, or of every pair in a file (a Gaussian job: the rating's mean and standard deviation)")
        {
            _job, _user, _item, _pairs, _serving.Titles, _serving.Json,
        };
        foreach (var option in _serving.Connection.All) Command.Options.Add(option);
        Command.SetAction(RunAsync);
    }

    public Command Command { get; }

    private async Task<int> RunAsync(ParseResult parsed, CancellationToken cancellationToken)
    {
        var userId = parsed.GetValue(_user);
        var itemId = parsed.GetValue(_item);
        var pairsFile = parsed.GetValue(_pairs);
        if (pairsFile is not null && (userId is not null || itemId is not null))
            throw new CommandException(ExitCodes.BadOption, "--pairs and --user/--item exclude each other: predict one pair, or a file of them");
        if (pairsFile is null && (userId is null || itemId is null))
            throw new CommandException(ExitCodes.BadOption, "give the pair with --user ID --item ID, or a file of pairs with --pairs FILE");
        var pairs = pairsFile is null ? [(userId!, itemId!)] : PairsInput.Read(pairsFile);
        var titles = _serving.ReadTitles(parsed);

        await using var model = await _serving.OpenAsync(_environment, parsed, parsed.GetValue(_job)!, cancellationToken);
        var served = await model.PredictAsync(pairs, cancellationToken);
        var output = _environment.Output;
        var json = parsed.GetValue(_serving.Json);
        if (pairsFile is null)
        {
            var prediction = served.Predictions[0];
            if (json && prediction.StandardDeviation is { } deviation)
            {
                // A Gaussian model: the rating's predictive mean (score) and standard deviation.
                output.WriteJson(new { job = served.Job, user = prediction.User, item = prediction.Item, title = titles?.Of(prediction.Item), score = prediction.Score,
                    standardDeviation = deviation, fromPrior = prediction.FromPrior, servedIteration = served.ServedIteration, fromCheckpoint = served.FromCheckpoint });
                return ExitCodes.Success;
            }
            if (json)
            {
                if (titles is null)
                    output.WriteJson(new { job = served.Job, user = prediction.User, item = prediction.Item, score = prediction.Score, servedIteration = served.ServedIteration, fromCheckpoint = served.FromCheckpoint });
                else
                    output.WriteJson(new { job = served.Job, user = prediction.User, item = prediction.Item, title = titles.Of(prediction.Item), score = prediction.Score, servedIteration = served.ServedIteration, fromCheckpoint = served.FromCheckpoint });
                return ExitCodes.Success;
            }
            if (ServedItemsTable.Origin(served.Job, served.ServedIteration, served.FromCheckpoint) is { } note) output.Warn(note);
            var title = titles?.Of(prediction.Item) is { } t ? $" ({t})" : "";
            if (prediction.StandardDeviation is { } sd)
            {
                var prior = prediction.FromPrior ? " (a user with no ratings: from the population prior)" : "";
                output.Line(string.Create(CultureInfo.InvariantCulture, $"user {prediction.User}, item {prediction.Item}{title}: predicted rating {prediction.Score:G6} ± {sd:G4} (mean ± standard deviation){prior}"));
            }
            else
            {
                output.Line(string.Create(CultureInfo.InvariantCulture, $"user {prediction.User}, item {prediction.Item}{title}: predicted count {prediction.Score:G6}"));
            }
            return ExitCodes.Success;
        }

        if (json)
        {
            output.WriteJson(new
            {
                job = served.Job,
                servedIteration = served.ServedIteration,
                fromCheckpoint = served.FromCheckpoint,
                predictions = served.Predictions.Select(p => new PredictionJson(p.User, p.Item, p.Score, titles?.Of(p.Item), p.StandardDeviation, p.FromPrior)),
            });
            return ExitCodes.Success;
        }
        if (ServedItemsTable.Origin(served.Job, served.ServedIteration, served.FromCheckpoint) is { } origin) output.Warn(origin);
        var table = new Table().AddColumn("user").AddColumn("item");
        if (titles is not null) table.AddColumn("title");
        var ratings = served.Predictions.Length > 0 && served.Predictions[0].StandardDeviation is not null;
        table.AddColumn(new TableColumn(ratings ? "predicted rating" : "predicted count").RightAligned());
        if (ratings) table.AddColumn(new TableColumn("standard deviation").RightAligned());
        foreach (var p in served.Predictions)
        {
            var cells = new List<string> { Markup.Escape(p.User), Markup.Escape(p.Item) };
            if (titles is not null) cells.Add(Markup.Escape(titles.Of(p.Item) ?? ""));
            cells.Add(ServedItemsTable.Score(p.Score));
            if (ratings) cells.Add(ServedItemsTable.Score(p.StandardDeviation ?? double.NaN));
            table.AddRow([.. cells]);
        }
        output.Console.Write(table);
        return ExitCodes.Success;
    }
}
