using System.CommandLine;
using System.Globalization;
using Hpf.Cluster.Grains.Evaluation;
using Spectre.Console;

namespace Hpf.Cluster.Client.Commands;

/// <summary><c>hpf recommend JOB --user ID</c>: the user's top items by E[θ_u]·E[β_i], items seen in training left out.</summary>
internal sealed class RecommendCommand
{
    private readonly CommandEnvironment _environment;
    private readonly Argument<string> _job = new("JOB") { Description = "the saved job" };
    private readonly Option<string> _user = new("--user") { Description = "the user id, as in the training file", HelpName = "ID", Required = true };
    private readonly Option<int> _count = new("-n") { Description = "how many items", DefaultValueFactory = _ => 10 };
    private readonly Option<bool> _includeSeen = new("--include-seen") { Description = "also rank the items the user has counts for in the training data" };
    private readonly Option<bool> _json = new("--json") { Description = "print JSON instead of a table" };

    public RecommendCommand(CommandEnvironment environment)
    {
        _environment = environment;
        Command = new Command("recommend", "Rank items for a user by the predicted count E[θ_u]·E[β_i]") { _job, _user, _count, _includeSeen, _json };
        Command.SetAction(parsed => Run(parsed));
    }

    public Command Command { get; }

    private int Run(ParseResult parsed)
    {
        var count = parsed.GetValue(_count);
        if (count < 1) throw new CommandException(ExitCodes.BadOption, $"option '-n' must be ≥ 1, got {count}");
        var userId = parsed.GetValue(_user)!;
        var job = _environment.OpenJob(parsed, parsed.GetValue(_job)!);
        var model = job.LoadModel();
        var user = model.IndexOfUser(userId);
        if (user < 0)
            throw new CommandException(ExitCodes.UnknownUser, $"user '{userId}' is not in job '{job.Name}' (its training data has {model.Users} users)");
        var includeSeen = parsed.GetValue(_includeSeen);
        var seen = includeSeen ? ReadOnlySpan<int>.Empty : SeenItems(job, userId);
        var ranked = new UserRanking(model).Top(user, count, seen);

        var output = _environment.Output;
        if (parsed.GetValue(_json))
        {
            output.WriteJson(new
            {
                job = job.Name,
                user = userId,
                includeSeen,
                items = ranked.Select(r => new { item = model.ItemIds[r.Item], score = r.Score }),
            });
            return ExitCodes.Success;
        }
        var table = new Table()
            .AddColumn(new TableColumn("rank").RightAligned())
            .AddColumn("item")
            .AddColumn(new TableColumn("score").RightAligned());
        for (var n = 0; n < ranked.Count; n++)
        {
            table.AddRow(
                (n + 1).ToString(CultureInfo.InvariantCulture),
                Markup.Escape(model.ItemIds[ranked[n].Item]),
                ranked[n].Score.ToString("G6", CultureInfo.InvariantCulture));
        }
        output.Console.Write(table);
        return ExitCodes.Success;
    }

    private static ReadOnlySpan<int> SeenItems(Grains.Engine.JobStoreEntry job, string userId)
    {
        var train = job.LoadTrainingSet();
        var row = train.IndexOfUser(userId);
        return row < 0 ? ReadOnlySpan<int>.Empty : train.ByUser.OthersOf(row);
    }
}
