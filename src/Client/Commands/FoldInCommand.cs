using System.CommandLine;
using System.Globalization;
using Hpf.Cluster.Client.Rendering;
using Hpf.Cluster.Client.Serving;

namespace Hpf.Cluster.Client.Commands;

/// <summary>
/// <c>hpf fold-in JOB --counts FILE</c>: a new user's factors from their item counts, with the items held fixed, and their
/// top items among those not counted. Nothing is stored (add-user stores). From the saved job, or the cluster's job
/// with <c>--cluster</c>.
/// </summary>
internal sealed class FoldInCommand
{
    private readonly CommandEnvironment _environment;
    private readonly ServingOptions _serving = new();
    private readonly Argument<string> _job = new("JOB") { Description = "the job: saved, or on the cluster with --cluster" };
    private readonly Option<string?> _counts = new("--counts") { Description = "the user's counts: item<TAB>count lines", HelpName = "FILE" };
    private readonly Option<string[]> _items = new("--item") { Description = "one of the user's counts, as ID:COUNT (repeat for more)", HelpName = "ID:COUNT" };
    private readonly Option<string?> _user = new("--user") { Description = "the user's id, which seeds the initialisation as it seeds a trained user's (default: anonymous)", HelpName = "ID" };
    private readonly Option<int> _count = new("-n") { Description = "how many items to recommend, 0 = the factors only", DefaultValueFactory = _ => 10 };

    public FoldInCommand(CommandEnvironment environment)
    {
        _environment = environment;
        Command = new Command("fold-in", "Fold a new user's item counts into a trained model: their factors E[θ] and their top items")
        {
            _job, _counts, _items, _user, _count, _serving.Titles, _serving.Json,
        };
        foreach (var option in _serving.Connection.All) Command.Options.Add(option);
        Command.SetAction(RunAsync);
    }

    public Command Command { get; }

    private async Task<int> RunAsync(ParseResult parsed, CancellationToken cancellationToken)
    {
        var count = parsed.GetValue(_count);
        if (count < 0) throw new CommandException(ExitCodes.BadOption, $"option '-n' must be ≥ 0, got {count}");
        var counts = ItemCountInput.Read(parsed.GetValue(_counts), parsed.GetValue(_items) ?? []);
        var titles = _serving.ReadTitles(parsed);
        await using var model = await _serving.OpenAsync(_environment, parsed, parsed.GetValue(_job)!, cancellationToken);
        var folded = await model.FoldInAsync(parsed.GetValue(_user), counts, count, cancellationToken);

        var output = _environment.Output;
        if (parsed.GetValue(_serving.Json))
        {
            output.WriteJson(new
            {
                job = folded.Job,
                user = folded.User,
                theta = folded.Theta,
                shape = folded.Shape,
                rate = folded.Rate,
                activityRate = folded.ActivityRate,
                updates = folded.Updates,
                unknownItems = folded.UnknownItems,
                items = ServedItemsTable.Json(folded.Items, titles),
            });
            return ExitCodes.Success;
        }
        Describe(output, folded, counts.Count);
        if (count > 0) output.Console.Write(ServedItemsTable.Of(folded.Items, titles));
        return ExitCodes.Success;
    }

    /// <summary>What the fold-in used and what it left out, as fold-in and add-user print it.</summary>
    internal static void Describe(CliOutput output, Grains.Interfaces.FoldInResult folded, int given)
    {
        var who = folded.User is null ? "a new user" : $"user '{folded.User}'";
        var values = string.Join(' ', folded.Theta.Select(t => t.ToString("G4", CultureInfo.InvariantCulture)));
        if (folded.Ratings)
            output.Line($"folded {who} into job '{folded.Job}' (Gaussian, closed form); posterior mean of the factors then the bias = {values}");
        else
            output.Line($"folded {who} into job '{folded.Job}' in {folded.Updates} updates; E[θ] = {values}");
        if (folded.UnknownItems.Length > 0)
            output.Warn($"left out {folded.UnknownItems.Length} of {given} counted items the model does not have: {string.Join(", ", folded.UnknownItems.Take(20))}{(folded.UnknownItems.Length > 20 ? ", …" : "")}");
    }
}
