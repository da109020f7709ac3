using System.CommandLine;
using System.Globalization;

namespace Hpf.Cluster.Client.Commands;

/// <summary><c>hpf predict JOB --user ID --item ID</c>: the model's expected count E[θ_u]·E[β_i] for one pair.</summary>
internal sealed class PredictCommand
{
    private readonly CommandEnvironment _environment;
    private readonly Argument<string> _job = new("JOB") { Description = "the saved job" };
    private readonly Option<string> _user = new("--user") { Description = "the user id", HelpName = "ID", Required = true };
    private readonly Option<string> _item = new("--item") { Description = "the item id", HelpName = "ID", Required = true };
    private readonly Option<bool> _json = new("--json") { Description = "print JSON" };

    public PredictCommand(CommandEnvironment environment)
    {
        _environment = environment;
        Command = new Command("predict", "Predict the count E[θ_u]·E[β_i] of a user and an item") { _job, _user, _item, _json };
        Command.SetAction(parsed => Run(parsed));
    }

    public Command Command { get; }

    private int Run(ParseResult parsed)
    {
        var userId = parsed.GetValue(_user)!;
        var itemId = parsed.GetValue(_item)!;
        var job = _environment.OpenJob(parsed, parsed.GetValue(_job)!);
        var model = job.LoadModel();
        var user = model.IndexOfUser(userId);
        if (user < 0)
            throw new CommandException(ExitCodes.UnknownUser, $"user '{userId}' is not in job '{job.Name}' (its training data has {model.Users} users)");
        var item = model.IndexOfItem(itemId);
        if (item < 0)
            throw new CommandException(ExitCodes.UnknownItem, $"item '{itemId}' is not in job '{job.Name}' (its training data has {model.Items} items)");
        var score = model.Predict(user, item);
        if (parsed.GetValue(_json))
            _environment.Output.WriteJson(new { job = job.Name, user = userId, item = itemId, score });
        else
            _environment.Output.Line(string.Create(CultureInfo.InvariantCulture, $"user {userId}, item {itemId}: predicted count {score:G6}"));
        return ExitCodes.Success;
    }
}
