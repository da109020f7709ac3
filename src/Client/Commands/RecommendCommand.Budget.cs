using System.CommandLine;
using Hpf.Cluster.Client.Serving;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Engine.Budget;

namespace Hpf.Cluster.Client.Commands;

/// <summary>
/// The budget model's rankings (docs/console.md): <c>--group ID</c> ranks the items of one group by E[x_u]·E[β_s];
/// <c>--groups-only</c> ranks the groups by E[x_u]·Σ_{s∈a}E[β_s]. Both read a saved budget job, which keeps the groups.
/// </summary>
internal sealed partial class RecommendCommand
{
    private readonly Option<string?> _group = new("--group") { Description = "budget model: rank only the items of this group (a saved job)", HelpName = "ID" };
    private readonly Option<bool> _groupsOnly = new("--groups-only") { Description = "budget model: rank groups by E[x_u]·Σ_{s∈a}E[β_s] instead of items (a saved job)" };

    private static ItemGroups GroupsOf(IModelServing serving, out HpfModel model)
    {
        if (serving is not SavedJobServing saved)
            throw new CommandException(ExitCodes.BadOption, "--group and --groups-only read a saved budget job; bring a cluster's job here with hpf pull first");
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

    private int RankGroups(ParseResult parsed, IModelServing serving, string? userId, bool newUser, int count)
    {
        if (parsed.GetValue(_group) is not null) throw new CommandException(ExitCodes.BadOption, "--group and --groups-only exclude each other: rank one group's items, or the groups");
        if (parsed.GetValue(_pool) is not null || parsed.GetValue(_includeSeen)) throw new CommandException(ExitCodes.BadOption, "--pool and --include-seen rank items; --groups-only ranks every group");
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
        var top = order.Take(count).ToArray();

        var output = _environment.Output;
        if (parsed.GetValue(_serving.Json))
        {
            output.WriteJson(new { job = serving.Job, user = userId, newUser, groups = top.Select(g => new { group = groups.GroupIds[g], score = scores[g] }) });
            return ExitCodes.Success;
        }
        output.Line("rank\tgroup\tscore");
        for (var r = 0; r < top.Length; r++) output.Line($"{r + 1}\t{groups.GroupIds[top[r]]}\t{scores[top[r]]:G6}");
        return ExitCodes.Success;
    }
}
