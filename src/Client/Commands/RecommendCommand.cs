using System.CommandLine;
using Hpf.Cluster.Client.Rendering;
using Hpf.Cluster.Client.Serving;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Client.Commands;

/// <summary>
/// <c>hpf recommend JOB --user ID</c>: the user's top items by E[θ_u]·E[β_i], items seen in training left out;
/// <c>--new-user</c>: a cold start, the items a user with no data is most likely to count. From the saved job, or the
/// cluster's job with <c>--cluster</c>.
/// </summary>
internal sealed partial class RecommendCommand
{
    private readonly CommandEnvironment _environment;
    private readonly ServingOptions _serving = new();
    private readonly Argument<string> _job = new("JOB") { Description = "the job: saved, or on the cluster with --cluster" };
    private readonly Option<string?> _user = new("--user") { Description = "the user id, as in the training file (or added with add-user)", HelpName = "ID" };
    private readonly Option<bool> _newUser = new("--new-user") { Description = "recommend for a user with no data (cold start): items ranked by Σ_k E[β_ik]" };
    private readonly Option<int> _count = new("-n") { Description = "how many items", DefaultValueFactory = _ => 10 };
    private readonly Option<bool> _includeSeen = new("--include-seen") { Description = "also rank the items the user has counts for in the training data" };
    private readonly Option<string?> _pool = new("--pool") { Description = "rank only the item ids listed in FILE, one a line (ids the model lacks are ignored)", HelpName = "FILE" };

    public RecommendCommand(CommandEnvironment environment)
    {
        _environment = environment;
        Command = new Command("recommend", "Rank items for a user by the predicted count E[θ_u]·E[β_i] (a Gaussian job: by predicted rating), or for a new user with --new-user")
        {
            _job, _user, _newUser, _count, _includeSeen, _pool, _serving.Titles, _serving.Json,
        };
        Command.Options.Add(_group);
        Command.Options.Add(_groupsOnly);
        foreach (var option in _serving.Connection.All) Command.Options.Add(option);
        Command.SetAction(RunAsync);
    }

    public Command Command { get; }

    private async Task<int> RunAsync(ParseResult parsed, CancellationToken cancellationToken)
    {
        var count = parsed.GetValue(_count);
        if (count < 1) throw new CommandException(ExitCodes.BadOption, $"option '-n' must be ≥ 1, got {count}");
        var userId = parsed.GetValue(_user);
        var newUser = parsed.GetValue(_newUser);
        if (newUser == (userId is not null))
            throw new CommandException(ExitCodes.BadOption, newUser ? "--user and --new-user exclude each other: recommend for a known user, or for a new one" : "name the user with --user ID, or ask for a new user's items with --new-user");
        var includeSeen = parsed.GetValue(_includeSeen);
        if (newUser && includeSeen) throw new CommandException(ExitCodes.BadOption, "--include-seen has no meaning for a new user, who has seen nothing");
        var pool = parsed.GetValue(_pool) is { } poolFile ? ReadPool(poolFile) : null;
        var titles = _serving.ReadTitles(parsed);

        await using var model = await _serving.OpenAsync(_environment, parsed, parsed.GetValue(_job)!, cancellationToken);
        if (parsed.GetValue(_groupsOnly)) return await RankGroupsAsync(parsed, model, userId, newUser, count, cancellationToken);
        var group = parsed.GetValue(_group);
        if (group is not null && model is not ClusterModelServing) pool = GroupPool(model, group, pool);
        var served = group is not null && model is ClusterModelServing cluster
            ? await cluster.RecommendInGroupAsync(newUser ? null : userId, group, count, includeSeen, pool, cancellationToken)
            : newUser
            ? await model.ColdStartAsync(count, pool, cancellationToken)
            : await model.RecommendAsync(userId!, count, includeSeen, pool, cancellationToken);

        var output = _environment.Output;
        if (parsed.GetValue(_serving.Json))
        {
            output.WriteJson(new
            {
                job = served.Job,
                user = served.User,
                newUser,
                includeSeen,
                servedIteration = served.ServedIteration,
                fromCheckpoint = served.FromCheckpoint,
                items = ServedItemsTable.Json(served.Items, titles),
            });
        }
        else
        {
            if (ServedItemsTable.Origin(served.Job, served.ServedIteration, served.FromCheckpoint) is { } origin) output.Warn(origin);
            output.Console.Write(ServedItemsTable.Of(served.Items, titles));
        }
        if (served.Items.Length == 0) output.Warn(NothingToRecommend(served, pool is not null, includeSeen));
        return ExitCodes.Success;
    }

    private static string NothingToRecommend(RecommendationList served, bool pooled, bool includeSeen) =>
        pooled ? "no item to recommend: the model has none of the pool's items" + (includeSeen || served.User is null ? "" : " that the user has not seen")
        : "no item to recommend: the user has counts for every item of the model (--include-seen ranks them)";

    /// <summary>One item id a line; blank lines are skipped.</summary>
    private static string[] ReadPool(string path)
    {
        var ids = File.ReadLines(path).Select(line => line.Trim()).Where(line => line.Length > 0).Distinct(StringComparer.Ordinal).ToArray();
        return ids.Length > 0 ? ids : throw new CommandException(ExitCodes.BadData, $"{path}: the pool has no item ids");
    }
}
