namespace Hpf.Cluster.Grains.Engine;

/// <summary>Full-batch coordinate ascent: a user half-step, then an item half-step (HPF-MATH.md).</summary>
internal sealed class FullBatchSchedule : ITrainingSchedule
{
    private readonly ModelState _state;
    private readonly HalfStep _users;
    private readonly HalfStep _items;

    public FullBatchSchedule(ModelState state, int threads)
    {
        _state = state;
        _users = new HalfStep(state.Users, state.Items, threads);
        _items = new HalfStep(state.Items, state.Users, threads);
    }

    public void RunIteration(int iteration, CancellationToken cancellationToken)
    {
        RunUserHalfStep(iteration, cancellationToken);
        RunItemHalfStep(iteration, cancellationToken);
    }

    public void RunUserHalfStep(int iteration, CancellationToken cancellationToken) => Check(_users.Run(cancellationToken), _state.Users, iteration);

    public void RunItemHalfStep(int iteration, CancellationToken cancellationToken) => Check(_items.Run(cancellationToken), _state.Items, iteration);

    private static void Check(int failedRow, FactorSide side, int iteration)
    {
        if (failedRow >= 0) throw new HpfNumericException(iteration, side.Name, side.Ids[failedRow]);
    }
}
