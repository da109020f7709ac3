using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Interfaces;
using Hpf.Cluster.Grains.Kernels;

namespace Hpf.Cluster.Grains.Engine;

/// <summary>Both sides of a model under training over one dataset, initialised as HPF-MATH.md says.</summary>
internal sealed class ModelState
{
    public ModelState(Dataset data, TrainingOptions options, SimdWidth width)
    {
        Data = data;
        Options = options;
        var p = options.Priors;
        var resolved = SimdWidths.Resolve(width);
        Users = new FactorSide("user", data.UserIds, data.ByUser, options.Factors, options.Members, resolved, p.A, p.APrime, p.APrime / p.BPrime);
        Items = new FactorSide("item", data.ItemIds, data.ByItem, options.Factors, options.Members, resolved, p.C, p.CPrime, p.CPrime / p.DPrime);
        Users.Initialize(options.Seed, p.APrime, p.BPrime, options.EffectiveThreads);
        Items.Initialize(options.Seed, p.CPrime, p.DPrime, options.EffectiveThreads);
    }

    public Dataset Data { get; }
    public TrainingOptions Options { get; }
    public FactorSide Users { get; }
    public FactorSide Items { get; }
    /// <summary>The items' groups of a budget model; null for HPF.</summary>
    public Budget.ItemGroups? Groups { get; init; }

    /// <summary>A snapshot of the model: copies of the parameters, which training goes on updating.</summary>
    public HpfModel ToModel() => new(Options, Data.UserIds, Data.ItemIds,
        (float[])Users.Shape.Clone(), (float[])Users.Rate.Clone(), (float[])Users.ActivityRate.Clone(),
        (float[])Items.Shape.Clone(), (float[])Items.Rate.Clone(), (float[])Items.ActivityRate.Clone()) { Groups = Groups };

    /// <summary>
    /// The model over the state's own parameter arrays, not copies: for the end of training, after which the state is
    /// not updated again (copies of both sides' shapes and rates would add 0.55 GB to the peak at 48M nonzeros).
    /// </summary>
    public HpfModel TakeModel() => new(Options, Data.UserIds, Data.ItemIds,
        Users.Shape, Users.Rate, Users.ActivityRate, Items.Shape, Items.Rate, Items.ActivityRate) { Groups = Groups };

    /// <summary>The training log-likelihood of the current parameters.</summary>
    public double TrainLogLikelihood(int threads) => PoissonLikelihood.Training(
        Data, Users.Expected, Items.Expected, Users.ColumnSum, Items.ColumnSum, Options.Factors, Options.Members, threads);
}
