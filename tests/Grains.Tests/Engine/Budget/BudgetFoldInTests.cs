using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Engine.Budget;
using Hpf.Cluster.Grains.Interfaces;
using Hpf.Cluster.Grains.Kernels;
using Hpf.Cluster.Grains.Serving;

namespace Hpf.Cluster.Grains.Tests.Engine.Budget;

/// <summary>A budget model's fold-in is the model's own user update, iterated with the items fixed.</summary>
public sealed class BudgetFoldInTests
{
    // The comparison is step for step rather than with a trained user: the budget likelihood leaves a user's scale (and
    // for a user of one or two groups, some directions) to the priors (docs/maths.md, "Scale"), so where a user settles
    // depends on the path, and a trained user's path ran beside moving items.
    [Theory]
    [InlineData(1)]
    [InlineData(6)]
    public void Folding_in_a_users_counts_takes_the_steps_of_the_user_half_step(int updates)
    {
        var sample = SyntheticBudgetDataset.Generate(new SyntheticBudgetOptions { Users = 300, Items = 400, Groups = 40, Factors = 3, Seed = 9, GroupsPerUser = 6 });
        var options = new TrainingOptions { Factors = 4, Members = 1, Model = ModelKind.Budget, Seed = 3, Threads = 2 };
        var groupsOfItems = sample.Groups.Dense(sample.Data.ItemIds);
        var state = new ModelState(sample.Data, options, SimdWidth.Auto) { Groups = groupsOfItems };
        var schedule = new BudgetSchedule(state, groupsOfItems, threads: 2);
        // The items as initialised stay fixed; B is theirs. The users start where a fold-in of the same id starts.
        var groupSums = (double[])schedule.GroupSums.Clone();
        for (var step = 1; step <= updates; step++) schedule.RunUserHalfStep(step, CancellationToken.None);

        var k = options.Factors;
        foreach (var u in new[] { 0, 17, 123, 299 })
        {
            var items = sample.Data.ByUser.OthersOf(u).ToArray();
            var counts = sample.Data.ByUser.CountsOf(u).ToArray();
            var elog = new float[items.Length * k];
            for (var n = 0; n < items.Length; n++) state.Items.ExpectedLogOf(items[n], elog.AsSpan(n * k, k));
            var stepped = state.Users.Expected.AsSpan(u * k, k).ToArray();

            var groups = new FoldInGroups([.. items.Select(i => groupsOfItems.ItemGroup[i])], groupSums);
            var budget = UserFoldIn.Run(sample.Data.UserIds[u], elog, counts, state.Items.ColumnSum, options, groups: groups, maxUpdates: updates);
            var hpf = UserFoldIn.Run(sample.Data.UserIds[u], elog, counts, state.Items.ColumnSum, options, maxUpdates: updates);

            Assert.Equal(updates, budget.Updates);
            var budgetDistance = RelativeDistance(stepped, Expected(budget.Shape, budget.Rate));
            var hpfDistance = RelativeDistance(stepped, Expected(hpf.Shape, hpf.Rate));
            Assert.True(budgetDistance < 1e-6, $"user {u}: the budget fold-in is {budgetDistance:E2} away after {updates} updates");
            // HPF's rate sums over every item, not over the user's groups.
            Assert.True(hpfDistance > 0.1, $"user {u}: HPF's fold-in is only {hpfDistance:F4} away");
        }
    }

    [Fact]
    public void A_budget_fold_in_needs_a_group_per_count()
    {
        var options = new TrainingOptions { Factors = 2, Members = 1, Model = ModelKind.Budget };
        var groups = new FoldInGroups([0], new double[2]);
        Assert.Throws<ArgumentException>(() => UserFoldIn.Run("u", new float[4], [1f, 2f], new double[2], options, groups: groups));
    }

    private static float[] Expected(float[] shape, float[] rate) => [.. shape.Zip(rate, (s, r) => s / r)];

    private static double RelativeDistance(float[] expected, float[] actual) =>
        Math.Sqrt(expected.Zip(actual, (e, a) => (double)(e - a) * (e - a)).Sum()) / Math.Sqrt(expected.Sum(e => (double)e * e));
}
