using Hpf.Cluster.Grains.Data;

namespace Hpf.Cluster.Grains.Engine.Budget;

/// <summary>
/// Full-batch coordinate ascent of the budget model: B from the items, the user half-step (ξ from each user's E[x]
/// before it), G from the users, the item half-step. The row updates are HPF's (<see cref="FactorSide"/>, the fused φ
/// loop); only the rates' data terms come from the group tables.
/// </summary>
internal sealed class BudgetSchedule : ITrainingSchedule
{
    private readonly ModelState _state;
    private readonly ItemGroups _groups;
    private readonly SparseRows _pairs;
    private readonly SparseRows _groupUsers;
    private readonly HalfStep _users;
    private readonly HalfStep _items;
    private readonly UserGroupRates _userRates;
    private readonly ItemGroupRates _itemRates;
    private readonly int _threads;

    public BudgetSchedule(ModelState state, ItemGroups groups, int threads)
    {
        _state = state;
        _groups = groups;
        _threads = threads;
        var k = state.Options.Factors;
        _pairs = GroupTables.UserGroupPairs(state.Data.ByUser, groups.ItemGroup);
        _groupUsers = _pairs.Transpose(groups.Groups);
        GroupSums = new double[groups.Groups * k];
        WeightedUserSums = new double[groups.Groups * k];
        _userRates = new UserGroupRates(_pairs, k) { GroupSums = GroupSums };
        _itemRates = new ItemGroupRates(groups.ItemGroup, k) { WeightedUserSums = WeightedUserSums };
        _users = new HalfStep(state.Users, state.Items, threads) { Rates = _userRates };
        _items = new HalfStep(state.Items, state.Users, threads) { Rates = _itemRates };
        GroupTables.GroupSums(state.Items.Expected, groups.ItemGroup, k, GroupSums);
    }

    /// <summary>B, [groups × K], of the current item parameters.</summary>
    public double[] GroupSums { get; }
    /// <summary>G, [groups × K], of the last user half-step.</summary>
    public double[] WeightedUserSums { get; }
    /// <summary>The (user, group) pairs with the users' group totals.</summary>
    public SparseRows Pairs => _pairs;

    public void RunIteration(int iteration, CancellationToken cancellationToken)
    {
        RunUserHalfStep(iteration, cancellationToken);
        RunItemHalfStep(iteration, cancellationToken);
    }

    public void RunUserHalfStep(int iteration, CancellationToken cancellationToken)
    {
        Check(_users.Run(cancellationToken), _state.Users, iteration);
        GroupTables.WeightedUserSums(_groupUsers, _state.Users.Expected, GroupSums, _state.Options.Factors, WeightedUserSums, _threads);
    }

    public void RunItemHalfStep(int iteration, CancellationToken cancellationToken)
    {
        Check(_items.Run(cancellationToken), _state.Items, iteration);
        GroupTables.GroupSums(_state.Items.Expected, _groups.ItemGroup, _state.Options.Factors, GroupSums);
    }

    /// <summary>The conditional training log-likelihood of the current parameters.</summary>
    public double TrainLogLikelihood() =>
        BudgetLikelihood.Training(_state.Data.ByUser, _pairs, _state.Users.Expected, _state.Items.Expected, GroupSums, _state.Options.Factors);

    private static void Check(int failedRow, FactorSide side, int iteration)
    {
        if (failedRow >= 0) throw new HpfNumericException(iteration, side.Name, side.Ids[failedRow]);
    }
}
