using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Engine.Budget;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Grains.Shards;

/// <summary>
/// A shard's part of the budget model (docs/maths.md, "The budget model"): the groups of the rows it reads (an item
/// shard its own items', a user shard its gathered counterparts'), the (user, group) pairs of its users, and the rate
/// terms its half-steps read from the per-group table the coordinator sends. After a step it returns its part of the
/// next table, which the coordinator adds up in shard order as it adds up column sums.
/// </summary>
internal sealed class ShardBudget
{
    private readonly int _factors;
    private readonly UserGroupRates? _userRates;
    private readonly ItemGroupRates? _itemRates;
    private readonly WeightedUserSumsPass? _weightedUserSums;

    public ShardBudget(bool userSide, int groups, int[] rowGroup, SparseRows rows, int factors)
    {
        UserSide = userSide;
        Groups = groups;
        RowGroup = rowGroup;
        _factors = factors;
        if (userSide)
        {
            Pairs = GroupTables.UserGroupPairs(rows, rowGroup);
            _weightedUserSums = new WeightedUserSumsPass(Pairs, groups, factors);
            _userRates = new UserGroupRates(Pairs, factors);
            LikelihoodConstant = BudgetLikelihood.Constant(rows, Pairs);
        }
        else
        {
            _itemRates = new ItemGroupRates(rowGroup, factors);
        }
    }

    public bool UserSide { get; }
    public int Factors => _factors;
    /// <summary>Groups of the whole job: the tables' rows.</summary>
    public int Groups { get; }
    /// <summary>Per gathered counterpart, training then validation-only rows (user shards), or per own row (item shards), its group's index.</summary>
    public int[] RowGroup { get; }
    /// <summary>The (user, group) pairs of a user shard's rows with the group totals; null on item shards.</summary>
    public SparseRows? Pairs { get; }
    /// <summary>A user shard's part of the conditional log-likelihood's constant (<see cref="BudgetLikelihood.Constant"/>).</summary>
    public double LikelihoodConstant { get; }

    /// <summary>
    /// Whether a user shard has the groups of all <paramref name="expectedRows"/> gathered rows, validation-only ones
    /// included (shards sealed before the budget model's held-out term have only the training rows').
    /// </summary>
    public bool CoversValidation(int expectedRows) => UserSide && RowGroup.Length >= expectedRows;

    public RowRates Rates => (RowRates?)_userRates ?? _itemRates!;

    /// <summary>The group ids of a table in ordinal order and each item's group index: the same on every shard.</summary>
    public static (string[] GroupIds, Dictionary<string, int> GroupOf) Index(ItemGroupTable table)
    {
        var groupIds = table.Groups.Distinct(StringComparer.Ordinal).ToArray();
        Array.Sort(groupIds, StringComparer.Ordinal);
        var rank = new Dictionary<string, int>(groupIds.Length, StringComparer.Ordinal);
        for (var g = 0; g < groupIds.Length; g++) rank.Add(groupIds[g], g);
        var groupOf = new Dictionary<string, int>(table.Items.Length, StringComparer.Ordinal);
        for (var n = 0; n < table.Items.Length; n++) groupOf[table.Items[n]] = rank[table.Groups[n]];
        return (groupIds, groupOf);
    }

    /// <summary>The groups of <paramref name="itemIds"/>; every item must have one.</summary>
    /// <exception cref="ShardDataException">An item has no group in the job's map.</exception>
    public static int[] GroupsOf(Dictionary<string, int> groupOf, string[] itemIds)
    {
        var groups = new int[itemIds.Length];
        for (var n = 0; n < itemIds.Length; n++)
        {
            if (!groupOf.TryGetValue(itemIds[n], out groups[n]))
                throw new ShardDataException($"item '{itemIds[n]}' has no group in the job's groups file; every item needs an item<TAB>group line");
        }
        return groups;
    }

    /// <summary>Takes the table the coordinator sent for this step (B for users, G for items).</summary>
    public void UseTable(double[]? table)
    {
        if (table is null || table.Length != Groups * _factors)
            throw new ShardStateException($"a budget half-step needs a group table of {Groups} × {_factors} values, got {table?.Length ?? 0}");
        if (_userRates is not null) _userRates.GroupSums = table;
        else _itemRates!.WeightedUserSums = table;
    }

    /// <summary>
    /// After a step: a user shard's part of G (its users' w_ua·E[x_u] with the new E[x] and the B it stepped with), an
    /// item shard's part of B (its items' E[β]).
    /// </summary>
    public double[] NextTable(FactorSide side, int threads)
    {
        var table = new double[Groups * _factors];
        if (_userRates is not null) _weightedUserSums!.Compute(side.Expected, _userRates.GroupSums, table, threads);
        else GroupTables.GroupSums(side.Expected, RowGroup, _factors, table);
        return table;
    }
}
