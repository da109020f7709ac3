using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Grains.Coordinator;

/// <summary>
/// The budget model's iteration over the shards (docs/maths.md, "The budget model"): the user step reads B, the users'
/// parts of G come back and are added up here in shard order, the item step reads G, the items' parts of B come back.
/// Each table is [groups × K] and goes to every shard of the side with its step; the steps fetch the other side's rows
/// (no pushes), since an item step cannot start before G is complete.
/// </summary>
internal sealed partial class TrainingRun
{
    // B of the current item parameters; null until read from the item shards after a start or a rollback.
    private double[]? _groupSums;

    private async Task BudgetIterationAsync(int iteration, CancellationToken stop)
    {
        var groupSums = await GroupSumsAsync(stop);
        using var step = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var userRequest = new HalfStepRequest(iteration, _userVersion + 1, _itemVersion, _itemSums, _runToken) { GroupTable = groupSums };
        var users = await AllOrFirstFailureAsync(_shards.Users.Select(s => s.HalfStep(userRequest, step.Token)), step);
        ThrowIfFailed(users.Select(r => r.FailedRow), iteration, "user");
        _userVersion++;
        _userSums = AddUp(users.Select(r => r.ColumnSums));
        var weightedUserSums = AddUp(users.Select(r => r.GroupTable ?? throw new InvalidOperationException("a user shard of a budget job returned no group table")));
        var bytes = users.Sum(r => r.BytesFetched);
        if (_spec.TraceElbo) _elbo.Add(await ElboAsync(stop));
        stop.ThrowIfCancellationRequested();

        var itemRequest = new HalfStepRequest(iteration, _itemVersion + 1, _userVersion, _userSums, _runToken) { GroupTable = weightedUserSums };
        var items = await AllOrFirstFailureAsync(_shards.Items.Select(s => s.HalfStep(itemRequest, step.Token)), step);
        ThrowIfFailed(items.Select(r => r.FailedRow), iteration, "item");
        _itemVersion++;
        _itemSums = AddUp(items.Select(r => r.ColumnSums));
        _groupSums = AddUp(items.Select(r => r.GroupTable ?? throw new InvalidOperationException("an item shard of a budget job returned no group table")));
        _bytesLastStep = items.Sum(r => r.BytesFetched);
        _bytes += bytes + _bytesLastStep;
        if (_spec.TraceElbo) _elbo.Add(await ElboAsync(stop));
    }

    /// <summary>B of the item shards' current parameters: kept from the last item step, or asked for after a start or rollback.</summary>
    private async Task<double[]> GroupSumsAsync(CancellationToken stop) =>
        _groupSums ??= AddUp(await Task.WhenAll(_shards.Items.Select(s => s.BudgetGroupSums(_itemVersion, stop))));
}
