using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Interfaces;
using Hpf.Cluster.Grains.Kernels;

namespace Hpf.Cluster.Grains.Tests.Engine;

public class ElboAscentTests
{
    /// <summary>Every half-step is an exact coordinate-ascent step, so the ELBO never decreases (HPF-MATH.md).</summary>
    /// <remarks>With several members the bound is the sum of the members' bounds, each raised by every half-step.</remarks>
    [Theory]
    [InlineData(1, 0.3, 0.3, 1)]
    [InlineData(1, 0.3, 0.3, 2)]
    [InlineData(7, 0.3, 3.0, 2)]
    [InlineData(13, 1.0, 0.5, 3)]
    public void ElboNeverDecreasesBetweenHalfSteps(int seed, double a, double aPrime, int members)
    {
        var sample = ModelSamples.Draw(users: 60, items: 45, factors: 4, seed: seed);
        var options = new TrainingOptions
        {
            Factors = 6, Members = members, Seed = (ulong)seed, Threads = 2,
            Priors = new HpfPriors(A: a, APrime: aPrime, C: a, CPrime: aPrime),
        };
        var state = new ModelState(sample.Data, options, SimdWidth.Auto);
        var schedule = new FullBatchSchedule(state, threads: 2);
        var previous = EvidenceLowerBound.Compute(state.ToModel(), sample.Data);
        for (var iteration = 1; iteration <= 30; iteration++)
        {
            schedule.RunUserHalfStep(iteration, CancellationToken.None);
            previous = AssertNotBelow(previous, EvidenceLowerBound.Compute(state.ToModel(), sample.Data), iteration, "user");
            schedule.RunItemHalfStep(iteration, CancellationToken.None);
            previous = AssertNotBelow(previous, EvidenceLowerBound.Compute(state.ToModel(), sample.Data), iteration, "item");
        }
    }

    private static double AssertNotBelow(double before, double after, int iteration, string side)
    {
        // Parameters are stored in float32: allow a decrease of float32 rounding of the terms, no more.
        var slack = 1e-6 * Math.Abs(before);
        Assert.True(after >= before - slack, $"ELBO fell from {before:R} to {after:R} in the {side} half-step of iteration {iteration}");
        return after;
    }
}
