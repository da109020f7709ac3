using System.CommandLine;
using Hpf.Cluster.Client.Serving;

namespace Hpf.Cluster.Client.Commands;

/// <summary>
/// <c>hpf add-user JOB --user ID --counts FILE</c>: folds a user in and stores them with the model, so that recommend,
/// predict and evaluate serve them like a trained user. The items' parameters do not change. On the saved job (saved
/// again with the user in it), or on the cluster's job with <c>--cluster</c> (stored in the user's shard).
/// </summary>
internal sealed class AddUserCommand
{
    private readonly CommandEnvironment _environment;
    private readonly ServingOptions _serving = new();
    private readonly Argument<string> _job = new("JOB") { Description = "the job: saved, or on the cluster with --cluster" };
    private readonly Option<string> _user = new("--user") { Description = "the new user's id", HelpName = "ID", Required = true };
    private readonly Option<string?> _counts = new("--counts") { Description = "the user's counts: item<TAB>count lines", HelpName = "FILE" };
    private readonly Option<string[]> _items = new("--item") { Description = "one of the user's counts, as ID:COUNT (repeat for more)", HelpName = "ID:COUNT" };
    private readonly Option<bool> _updateExisting = new("--update-existing") { Description = "replace a user the model already has (trained or added) instead of refusing" };

    public AddUserCommand(CommandEnvironment environment)
    {
        _environment = environment;
        Command = new Command("add-user", "Fold a user's item counts into a trained model and keep them, to be served like a trained user")
        {
            _job, _user, _counts, _items, _updateExisting, _serving.Json,
        };
        foreach (var option in _serving.Connection.All) Command.Options.Add(option);
        Command.SetAction(RunAsync);
    }

    public Command Command { get; }

    private async Task<int> RunAsync(ParseResult parsed, CancellationToken cancellationToken)
    {
        var user = parsed.GetValue(_user)!;
        if (user.Length == 0) throw new CommandException(ExitCodes.BadOption, "option '--user' needs an id");
        var counts = ItemCountInput.Read(parsed.GetValue(_counts), parsed.GetValue(_items) ?? []);
        await using var model = await _serving.OpenAsync(_environment, parsed, parsed.GetValue(_job)!, cancellationToken);
        var added = await model.AddUserAsync(user, counts, parsed.GetValue(_updateExisting), cancellationToken);

        var output = _environment.Output;
        if (parsed.GetValue(_serving.Json))
        {
            output.WriteJson(new
            {
                job = added.Job,
                user = added.User,
                theta = added.Theta,
                shape = added.Shape,
                rate = added.Rate,
                activityRate = added.ActivityRate,
                updates = added.Updates,
                unknownItems = added.UnknownItems,
            });
            return ExitCodes.Success;
        }
        FoldInCommand.Describe(output, added, counts.Count);
        output.Line($"user '{user}' is stored in job '{added.Job}': recommend, predict and evaluate serve them from now on");
        return ExitCodes.Success;
    }
}
