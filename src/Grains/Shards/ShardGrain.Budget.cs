using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Engine.Budget;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Grains.Shards;

/// <summary>The budget model on the shards (docs/maths.md, "The budget model"): its groups at the seal, its tables and terms.</summary>
public abstract partial class ShardGrain
{
    public Task<double[]> BudgetGroupSums(long version, CancellationToken cancellationToken)
    {
        var shard = RequireVersion(version, "the budget model's group sums");
        var budget = shard.Budget ?? throw new InvalidOperationException($"{SideName} shard {GrainKey} is not of a budget job");
        if (budget.UserSide) throw new InvalidOperationException("group sums come from item shards");
        return Task.FromResult(budget.NextTable(shard.Side, shard.Threads));
    }

    public Task<ServedGroupSums> ServedBudgetGroupSums(CancellationToken cancellationToken)
    {
        var shard = RequireShard();
        var served = RequireServed();
        var budget = shard.Budget ?? throw new ShardStateException($"{SideName} shard {GrainKey} is not of a budget job: it has no groups");
        if (budget.UserSide) throw new InvalidOperationException("group sums come from item shards");
        // From the served E[β] (the final model, or the copy at the last checkpoint), never the live training rows.
        var sums = new double[budget.Groups * budget.Factors];
        GroupTables.GroupSums(served.Expected, budget.RowGroup, budget.Factors, sums);
        var items = new int[budget.Groups];
        foreach (var g in budget.RowGroup) items[g]++;
        return Task.FromResult(new ServedGroupSums(sums, items));
    }

    /// <summary>
    /// The shard's groups from the job's map: its own items' (item shards) or its gathered counterparts' (user shards:
    /// the training rows, then the validation-only rows, whose groups the held-out term needs).
    /// </summary>
    private ShardBudget LinkBudget(ShardPlan plan, IndexedShard indexed, SealedLayout layout, int[][] validationFound)
    {
        var table = plan.Groups ?? throw new ShardDataException("a budget job reached its shards without its item → group map");
        var (groupIds, groupOf) = ShardBudget.Index(table);
        string[] items;
        if (IsUserSide)
        {
            // Gathered training rows are shard 0's ids in ordinal order, then shard 1's, …; then the validation-only
            // ids each shard found, shard by shard (IndexedShard.Link).
            items = new string[layout.ExpectedRows];
            for (var j = 0; j < _others.Length; j++) indexed.OtherIdsOf(j).CopyTo(items, layout.PartStart[j]);
            for (var j = 0; j < _others.Length; j++)
            {
                var at = layout.ValidationStart[j];
                var ids = indexed.ValidationOnlyIdsOf(j);
                for (var v = 0; v < ids.Length; v++)
                    if (validationFound[j][v] >= 0) items[at++] = ids[v];
            }
        }
        else
        {
            items = indexed.Ids;
        }
        return new ShardBudget(IsUserSide, groupIds.Length, ShardBudget.GroupsOf(groupOf, items), layout.Rows, plan.Training.Factors);
    }

    private double BudgetTrainTerm(ShardBudget budget, FactorSide side, CheckRequest request, int threads) =>
        BudgetLikelihood.Training(side.Rows, budget.Pairs!, side.Expected, _expectedTable, GroupSumsOf(budget, request), side.K, budget.LikelihoodConstant, threads);

    /// <summary>This shard's users' part of the held-out conditional log-likelihood, with the current items' B.</summary>
    private double BudgetValidationTerm(ShardBudget budget, FactorSide side, HeldOutSet validation, CheckRequest request) =>
        BudgetLikelihood.HeldOut(validation, budget.RowGroup, budget.Groups, side.Expected, _expectedTable, GroupSumsOf(budget, request), side.K).Sum;

    private static double BudgetPairTerm(ShardBudget budget, FactorSide side, CheckRequest request) =>
        BudgetEvidenceLowerBound.PairTerm(budget.Pairs!, side.Expected, GroupSumsOf(budget, request), side.K);

    private static double[] GroupSumsOf(ShardBudget budget, CheckRequest request) =>
        request.GroupSums is { } sums && sums.Length == budget.Groups * budget.Factors
            ? sums : throw new ShardStateException("a budget check needs the group sums B of the current items");
}
