using System.CommandLine;
using Hpf.Cluster.Client.Serving;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Engine.Budget;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Client.Commands;

/// <summary>
/// The budget model's rankings (docs/console.md): <c>--group ID</c> ranks the items of one group by E[x_u]·E[β_s];
/// <c>--groups-only</c> ranks the groups by E[x_u]·Σ_{s∈a}E[β_s]. A saved budget job answers from the groups it keeps, a
/// cluster's job (<c>--cluster</c>, or the embedded silo) through its grains, with the same results.
/// </summary>
internal sealed partial class RecommendCommand
{
    private readonly Option<string?> _group = new("--group") { Description = "budget model: rank only the items of this group", HelpName = "ID" };
    private readonly Option<bool> _groupsOnly = new("--groups-only") { Description = "budget model: rank groups by E[x_u]·Σ_{s∈a}E[β_s] instead of items" };

    private static ItemGroups GroupsOf(IModelServing serving, out HpfModel model)
    {
        if (serving is not SavedJobServing saved)
            throw new CommandException(ExitCodes.BadOption, $"job '{serving.Job}' is a Gaussian model of ratings: it has no groups (train it with --model budget --groups FILE)");
        model = saved.SavedModel;
        return model.Groups ?? throw new CommandException(ExitCodes.BadOption, $"job '{serving.Job}' is an HPF model: it has no groups (train it with --model budget --groups FILE)");
    }

    /// <summary>The items of <paramref name="group"/>, within <paramref name="pool"/> when one is given too.</summary>
    private static string[] GroupPool(IModelServing serving, string group, string[]? pool)
    {
        var groups = GroupsOf(serving, out var model);
        var g = groups.IndexOfGroup(group);
        if (g < 0) throw new CommandException(ExitCodes.UnknownItem, $"job '{serving.Job}' has no group '{group}'");
        var inPool = pool is null ? null : new HashSet<string>(pool, StringComparer.Ordinal);
        var items = new List<string>();
        for (var i = 0; i < model.Items; i++)
            if (groups.ItemGroup[i] == g && (inPool is null || inPool.Contains(model.ItemIds[i]))) items.Add(model.ItemIds[i]);
        return items.Count > 0 ? [.. items] : throw new CommandException(ExitCodes.BadData, $"no item of group '{group}' is in the pool");
    }

    private async Task<int> RankGroupsAsync(ParseResult parsed, IModelServing serving, string? userId, bool newUser, int count, CancellationToken cancellationToken)
    {
        if (parsed.GetValue(_group) is not null) throw new CommandException(ExitCodes.BadOption, "--group and --groups-only exclude each other: rank one group's items, or the groups");
        if (parsed.GetValue(_pool) is not null || parsed.GetValue(_includeSeen)) throw new CommandException(ExitCodes.BadOption, "--pool and --include-seen rank items; --groups-only ranks every group");
        var top = serving is ClusterModelServing cluster
            ? (await cluster.RankGroupsAsync(newUser ? null : userId, count, cancellationToken)).Groups
            : RankSavedGroups(serving, userId, newUser, count);

        var output = _environment.Output;
        if (parsed.GetValue(_serving.Json))
        {
            output.WriteJson(new { job = serving.Job, user = userId, newUser, groups = top.Select(g => new { group = g.Group, score = g.Score }) });
            return ExitCodes.Success;
        }
        output.Line("rank\tgroup\tscore");
        for (var r = 0; r < top.Length; r++) output.Line($"{r + 1}\t{top[r].Group}\t{top[r].Score:G6}");
        return ExitCodes.Success;
    }

    /// <summary>A saved job's groups by E[x_u]·Σ_{s∈a}E[β_s], from its own model and groups.</summary>
    private static RankedGroup[] RankSavedGroups(IModelServing serving, string? userId, bool newUser, int count)
    {
        var groups = GroupsOf(serving, out var model);
        var k = model.Factors;
        var x = new float[k];
        if (newUser) Array.Fill(x, 1f);
        else
        {
            var u = model.IndexOfUser(userId!);
            if (u < 0) throw new CommandException(ExitCodes.UnknownUser, $"user '{userId}' is not in job '{serving.Job}'");
            model.UserFactors(u, x);
        }
        var groupSums = new double[groups.Groups * k];
        GroupTables.GroupSums(model.ItemFactorMatrix(), groups.ItemGroup, k, groupSums);
        var scores = new double[groups.Groups];
        for (var g = 0; g < groups.Groups; g++) scores[g] = GroupTables.Dot(x, groupSums.AsSpan(g * k, k));
        var order = new int[groups.Groups];
        for (var g = 0; g < order.Length; g++) order[g] = g;
        // Highest score first; ties by group id, so the list is the same on every run.
        Array.Sort(order, (p, q) => scores[q].CompareTo(scores[p]) is var c && c != 0 ? c : string.CompareOrdinal(groups.GroupIds[p], groups.GroupIds[q]));
        return [.. order.Take(count).Select(g => new RankedGroup(groups.GroupIds[g], scores[g]))];
    }
}
