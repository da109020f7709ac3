using System.CommandLine;
using Hpf.Cluster.Client.Cluster;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Client.Commands;

/// <summary>
/// Where a training run goes, for <c>train</c> and <c>cross-validate</c>: a cluster (<c>--cluster host:port[,…]</c>, or
/// $HPF_CLUSTER unless <c>--local</c>), the engine in this process (<c>--in-process</c>), or else a silo embedded in this process; and the
/// job's shards and checkpoints on a silo.
/// </summary>
internal sealed class TrainingTargetOptions
{
    private static readonly JobSpec DefaultSpec = new();

    public TrainingTargetOptions(string clusterDescription) => Connection = new ClusterConnection(clusterDescription);

    public ClusterConnection Connection { get; }

    private readonly Option<bool> _inProcess = new("--in-process") { Description = "train in this process on the engine's trainer, without a silo (the fastest path on one machine)" };
    private readonly Option<int> _userShards = new("--user-shards") { Description = "user shards of the job, 0 = one per silo or more for large data", DefaultValueFactory = _ => DefaultSpec.UserShards, HelpName = "N" };
    private readonly Option<int> _itemShards = new("--item-shards") { Description = "item shards of the job, 0 = as for users", DefaultValueFactory = _ => DefaultSpec.ItemShards, HelpName = "N" };
    private readonly Option<int> _checkpointEvery = new("--checkpoint-every") { Description = "shards checkpoint every M iterations, 0 = only the final model", DefaultValueFactory = _ => DefaultSpec.CheckpointEvery, HelpName = "M" };
    private readonly Option<bool> _replace = new("--replace") { Description = "with --cluster: replace a cluster job of the same name (a training one is cancelled)" };

    public IEnumerable<Option> All => [.. Connection.All, _inProcess, _userShards, _itemShards, _checkpointEvery, _replace];

    public bool Replace(ParseResult parsed) => parsed.GetValue(_replace);

    /// <summary>Where to train: in process, or on the cluster named (null: the embedded silo). Refuses options that contradict each other.</summary>
    public (bool InProcess, GatewayList? Cluster) Resolve(ParseResult parsed)
    {
        var inProcess = parsed.GetValue(_inProcess);
        var cluster = inProcess ? null : Connection.Gateways(parsed);
        if (inProcess && Connection.Given(parsed))
            throw new CommandException(ExitCodes.BadOption, "--in-process and --cluster exclude each other: train here, or on the cluster");
        if (inProcess && (Given(parsed, _userShards) || Given(parsed, _itemShards) || Given(parsed, _checkpointEvery) || Given(parsed, _replace)))
            throw new CommandException(ExitCodes.BadOption, "--user-shards, --item-shards, --checkpoint-every and --replace are for training on a silo; --in-process has no shards");
        if (cluster is null && Given(parsed, _replace))
            throw new CommandException(ExitCodes.BadOption, "--replace is for a job on a cluster (--cluster host:port); the local job store always replaces a job of the same name");
        return (inProcess, cluster);
    }

    /// <summary>The job's spec on a silo, checked (exit 2 naming the option).</summary>
    /// <param name="expectedNonzeros">A guess from the file's size, for the default shard counts only.</param>
    public JobSpec Spec(ParseResult parsed, TrainingOptions training, long expectedNonzeros, ItemGroupTable? groups = null)
    {
        var spec = new JobSpec
        {
            Groups = groups,
            Training = training,
            UserShards = parsed.GetValue(_userShards),
            ItemShards = parsed.GetValue(_itemShards),
            CheckpointEvery = parsed.GetValue(_checkpointEvery),
            ExpectedNonzeros = expectedNonzeros,
        };
        try
        {
            spec.Validate();
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw CommandException.BadOption(e);
        }
        return spec;
    }

    private static bool Given(ParseResult parsed, Option option) => parsed.GetResult(option) is { Implicit: false };
}
