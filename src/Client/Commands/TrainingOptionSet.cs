using System.CommandLine;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Client.Commands;

/// <summary>
/// The hyperparameter and schedule options of a training run (<c>--k</c>, <c>--members</c>, the priors, <c>--max-iter</c>, <c>--stop</c>,
/// SVI batches and steps, <c>--seed</c>, <c>--threads</c>), shared by <c>train</c> and <c>cross-validate</c> so that
/// both spell, default and check them alike. The defaults live in <see cref="TrainingOptions"/>; the console only shows them.
/// </summary>
internal sealed class TrainingOptionSet
{
    private static readonly TrainingOptions Defaults = new();

    /// <summary>
    /// <c>--svi</c>'s batch: a tenth of the users, then a tenth of the items, alternating. Of the fractions studied
    /// (0.05, 0.1, 0.2) it fitted as well as 0.05 (held-out log-likelihood within 0.006 nat) at less cost and with a
    /// better ranking, and better than 0.2 (docs/benchmarks.md, "The training defaults").
    /// </summary>
    public const double SviBatchFraction = 0.1;

    private readonly Option<int> _k = new("--k") { Description = "number of factors K", DefaultValueFactory = _ => Defaults.Factors };
    // No fixed default: unset, the count follows --k (one member per 25 factors), so --k 200 is not 3 members of 67.
    private readonly Option<int?> _members = new("--members") { Description = $"the model is the mean of this many HPF fits trained side by side, sharing the K factors (1 = plain HPF); default one per {TrainingOptions.FactorsPerMember} factors of --k, at least 2 ({Defaults.Members} at K = {Defaults.Factors})", HelpName = "M" };
    private readonly Option<double> _a = Prior("--a", "shape of θ_uk", Defaults.Priors.A);
    private readonly Option<double> _aPrime = Prior("--a-prime", "shape of the user activity ξ_u", Defaults.Priors.APrime);
    private readonly Option<double> _bPrime = Prior("--b-prime", "mean of the user activity ξ_u", Defaults.Priors.BPrime);
    private readonly Option<double> _c = Prior("--c", "shape of β_ik", Defaults.Priors.C);
    private readonly Option<double> _cPrime = Prior("--c-prime", "shape of the item popularity η_i", Defaults.Priors.CPrime);
    private readonly Option<double> _dPrime = Prior("--d-prime", "mean of the item popularity η_i", Defaults.Priors.DPrime);
    private readonly Option<int> _maxIter = new("--max-iter") { Description = "upper bound on iterations (epochs for SVI)", DefaultValueFactory = _ => Defaults.MaxIterations };
    private readonly Option<string> _stop = OptionWords.Create("--stop", OptionWords.StopRules, Defaults.Stop, "stopping rule");
    private readonly Option<int> _checkEvery = new("--check-every") { Description = "iterations between likelihood checks", DefaultValueFactory = _ => Defaults.CheckEvery };
    private readonly Option<double> _stopThreshold = new("--stop-threshold") { Description = "relative gain (llk rules) or ‖ΔE[θ]‖ (diffnorm) below which training stops", DefaultValueFactory = _ => Defaults.StopThreshold };
    private readonly Option<bool> _svi = new("--svi") { Description = "alternating SVI instead of full batch: users in mini-batches of a tenth of the users, then items in batches of a tenth of the items (a side's fraction below overrides)" };
    private readonly Option<double?> _userBatchFraction = new("--user-batch-fraction") { Description = "SVI over users: each mini-batch takes this share of the users, in (0, 1]", HelpName = "F" };
    private readonly Option<double?> _itemBatchFraction = new("--item-batch-fraction") { Description = "SVI over items: each mini-batch takes this share of the items, in (0, 1]", HelpName = "F" };
    private readonly Option<int?> _usersPerBatch = new("--users-per-batch") { Description = "SVI over users: a fixed number of users per mini-batch, in place of --user-batch-fraction", HelpName = "N" };
    private readonly Option<int?> _itemsPerBatch = new("--items-per-batch") { Description = "SVI over items: a fixed number of items per mini-batch, in place of --item-batch-fraction", HelpName = "N" };
    private readonly Option<double> _stepTau0 = new("--step-tau0") { Description = "SVI step size ρ_t = (t + τ0)^(−κ): τ0", DefaultValueFactory = _ => Defaults.StepTau0 };
    private readonly Option<double> _stepKappa = new("--step-kappa") { Description = "SVI step size: κ in (0.5, 1]", DefaultValueFactory = _ => Defaults.StepKappa };
    private readonly Option<string> _stepSchedule = OptionWords.Create("--step-schedule", OptionWords.StepSchedules, Defaults.StepSchedule, "how SVI counts t");
    private readonly Option<ulong> _seed = new("--seed") { Description = "random seed; same seed and data give the same model", DefaultValueFactory = _ => Defaults.Seed };
    private readonly Option<string> _transform = OptionWords.Create("--transform", OptionWords.Transforms, Defaults.Transform,
        "what is done to each count before training: none, log1p (log(1 + count), for long-tailed play counts) or binary (1 for every nonzero)");
    private readonly Option<string> _model = OptionWords.Create("--model", OptionWords.Models, ModelKind.Poisson,
        "the model: hpf (Poisson factorization of counts), budget (a user's counts within a group multinomial given the group's total; needs --groups) or gaussian (hierarchical Gaussian factorization of ratings, the third column any real value; its own defaults: K 10, 400 iterations, threshold 1e-5)");
    private readonly Option<int> _threads = new("--threads") { Description = "worker threads, 0 = all cores; never changes the result", DefaultValueFactory = _ => Defaults.Threads };

    /// <summary>The options in the order help lists them.</summary>
    public IEnumerable<Option> All =>
    [
        _model, _k, _members, _a, _aPrime, _bPrime, _c, _cPrime, _dPrime, _maxIter, _stop, _checkEvery, _stopThreshold,
        _svi, _userBatchFraction, _itemBatchFraction, _usersPerBatch, _itemsPerBatch, _stepTau0, _stepKappa, _stepSchedule, _seed, _threads, _transform,
    ];

    /// <summary>The model <c>--model</c> names.</summary>
    public ModelKind Model(ParseResult parsed) => OptionWords.Parse(OptionWords.Models, parsed.GetValue(_model)!);

    /// <summary>Whether <c>--members</c> was typed (not its default): the budget model trains one member unless told otherwise.</summary>
    public bool MembersGiven(ParseResult parsed) => parsed.GetResult(_members) is { Implicit: false };

    /// <summary>Whether <c>--a</c> and <c>--c</c> were typed: the budget model has shapes of its own unless told otherwise.</summary>
    public (bool A, bool C) ShapesGiven(ParseResult parsed) => (parsed.GetResult(_a) is { Implicit: false }, parsed.GetResult(_c) is { Implicit: false });

    /// <summary>The options as given, checked: an option out of range is exit 2 with its name, as the console spells it.</summary>
    public TrainingOptions Read(ParseResult parsed)
    {
        var options = new TrainingOptions
        {
            Factors = parsed.GetValue(_k),
            Priors = new HpfPriors(parsed.GetValue(_a), parsed.GetValue(_aPrime), parsed.GetValue(_bPrime), parsed.GetValue(_c), parsed.GetValue(_cPrime), parsed.GetValue(_dPrime)),
            MaxIterations = parsed.GetValue(_maxIter),
            Stop = OptionWords.Parse(OptionWords.StopRules, parsed.GetValue(_stop)!),
            CheckEvery = parsed.GetValue(_checkEvery),
            StopThreshold = parsed.GetValue(_stopThreshold),
            UserBatchFraction = parsed.GetValue(_userBatchFraction),
            ItemBatchFraction = parsed.GetValue(_itemBatchFraction),
            UsersPerBatch = parsed.GetValue(_usersPerBatch),
            ItemsPerBatch = parsed.GetValue(_itemsPerBatch),
            StepTau0 = parsed.GetValue(_stepTau0),
            StepKappa = parsed.GetValue(_stepKappa),
            StepSchedule = OptionWords.Parse(OptionWords.StepSchedules, parsed.GetValue(_stepSchedule)!),
            Seed = parsed.GetValue(_seed),
            Threads = parsed.GetValue(_threads),
            Transform = OptionWords.Parse(OptionWords.Transforms, parsed.GetValue(_transform)!),
        };
        if (parsed.GetValue(_members) is { } members) options = options with { Members = members };
        if (parsed.GetValue(_svi))
        {
            // Each side not batched by the options below takes the studied fraction, so --svi always alternates.
            if (options is { UsersPerBatch: null, UserBatchFraction: null }) options = options with { UserBatchFraction = SviBatchFraction };
            if (options is { ItemsPerBatch: null, ItemBatchFraction: null }) options = options with { ItemBatchFraction = SviBatchFraction };
        }
        // The budget model needs its groups file, which only train reads: TrainCommand completes its options.
        var model = Model(parsed);
        if (model == ModelKind.Gaussian) options = GaussianOptions(parsed, options);
        else if (model == ModelKind.Budget) options = options with { Model = ModelKind.Budget };
        try
        {
            options.Validate();
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw CommandException.BadOption(e);
        }
        return options;
    }

    /// <summary>K for the Gaussian model when --k is not given: the MovieLens folds' figures in docs/benchmarks.md.</summary>
    public const int GaussianDefaultFactors = 10;

    /// <summary>
    /// The Gaussian model's --max-iter and --stop-threshold when not given: its bound per rating creeps up by 1e-4 a
    /// check at iteration 100 while the test RMSE still falls (docs/benchmarks.md, "Ratings"), so it is let run longer.
    /// </summary>
    public const int GaussianDefaultMaxIterations = 400;
    public const double GaussianDefaultStopThreshold = 1e-5;

    /// <summary>
    /// The Gaussian model's options: it trains full batch on the ratings as read, as one fit, with its own default K;
    /// the options it cannot honour are refused in plain words rather than ignored.
    /// </summary>
    private TrainingOptions GaussianOptions(ParseResult parsed, TrainingOptions options)
    {
        if (options.IsStochastic)
            throw new CommandException(ExitCodes.BadOption, "--model gaussian trains full batch: the SVI options (--user-batch-fraction, --users-per-batch and the item ones) are for the poisson model");
        if (options.Transform != CountTransform.None)
            throw new CommandException(ExitCodes.BadOption, "--model gaussian fits the ratings as they are: --transform is for the poisson model's counts");
        if (options.Stop == StopRule.DiffNorm)
            throw new CommandException(ExitCodes.BadOption, "--model gaussian stops on train-llk (its bound), val-llk (in process) or maxiter; diffnorm is for the poisson model");
        if (Given(parsed, _members) && options.Members != 1)
            throw new CommandException(ExitCodes.BadOption, "--model gaussian is one fit: --members is for the poisson model");
        return options with
        {
            Model = ModelKind.Gaussian,
            Members = 1,
            Factors = Given(parsed, _k) ? options.Factors : GaussianDefaultFactors,
            MaxIterations = Given(parsed, _maxIter) ? options.MaxIterations : GaussianDefaultMaxIterations,
            StopThreshold = Given(parsed, _stopThreshold) ? options.StopThreshold : GaussianDefaultStopThreshold,
        };
    }

    private static bool Given(ParseResult parsed, Option option) => parsed.GetResult(option) is { Implicit: false };

    private static Option<double> Prior(string name, string meaning, double defaultValue) =>
        new(name) { Description = $"prior: {meaning}", DefaultValueFactory = _ => defaultValue };
}
