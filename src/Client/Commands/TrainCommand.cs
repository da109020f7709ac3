using System.CommandLine;
using System.Diagnostics;
using Hpf.Cluster.Client.Rendering;
using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Client.Commands;

/// <summary><c>hpf train FILE …</c>: reads the data, trains in this process with live progress, and saves the job.</summary>
internal sealed class TrainCommand
{
    /// <summary>The defaults live in TrainingOptions; the console only shows them.</summary>
    private static readonly TrainingOptions Defaults = new();

    private readonly CommandEnvironment _environment;
    private readonly Argument<string> _file = new("FILE") { Description = "the training data: user, item, count triplets" };
    private readonly Option<string> _format = OptionWords.Format();
    private readonly Option<int> _k = new("--k") { Description = "number of factors K", DefaultValueFactory = _ => Defaults.Factors };
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
    private readonly Option<string?> _validation = new("--validation") { Description = "held-out triplets for the val-llk rule and the curve", HelpName = "FILE" };
    private readonly Option<int?> _usersPerBatch = new("--users-per-batch") { Description = "SVI over users: users per mini-batch", HelpName = "N" };
    private readonly Option<int?> _itemsPerBatch = new("--items-per-batch") { Description = "SVI over items: items per mini-batch", HelpName = "N" };
    private readonly Option<double> _stepTau0 = new("--step-tau0") { Description = "SVI step size ρ_t = (t + τ0)^(−κ): τ0", DefaultValueFactory = _ => Defaults.StepTau0 };
    private readonly Option<double> _stepKappa = new("--step-kappa") { Description = "SVI step size: κ in (0.5, 1]", DefaultValueFactory = _ => Defaults.StepKappa };
    private readonly Option<string> _stepSchedule = OptionWords.Create("--step-schedule", OptionWords.StepSchedules, Defaults.StepSchedule, "how SVI counts t");
    private readonly Option<ulong> _seed = new("--seed") { Description = "random seed; same seed and data give the same model", DefaultValueFactory = _ => Defaults.Seed };
    private readonly Option<int> _threads = new("--threads") { Description = "worker threads, 0 = all cores; never changes the result", DefaultValueFactory = _ => Defaults.Threads };
    private readonly Option<string?> _job = new("--job") { Description = "name to save the job under (default: the file name without extension)", HelpName = "NAME" };
    private readonly Option<string?> _export = new("--export") { Description = "also write theta.tsv, beta.tsv and model.json here", HelpName = "DIR" };

    public TrainCommand(CommandEnvironment environment)
    {
        _environment = environment;
        Command = new Command("train", "Train an HPF model on a file of (user, item, count) triplets and save it as a job")
        {
            _file, _format, _k, _a, _aPrime, _bPrime, _c, _cPrime, _dPrime, _maxIter, _stop, _checkEvery, _stopThreshold,
            _validation, _usersPerBatch, _itemsPerBatch, _stepTau0, _stepKappa, _stepSchedule, _seed, _threads, _job, _export,
        };
        Command.SetAction(RunAsync);
    }

    public Command Command { get; }

    private async Task<int> RunAsync(ParseResult parsed, CancellationToken cancellationToken)
    {
        var output = _environment.Output;
        var file = parsed.GetValue(_file)!;
        var validationFile = parsed.GetValue(_validation);
        var formatWord = parsed.GetValue(_format)!;
        var format = OptionWords.Parse(OptionWords.Formats, formatWord);
        var options = ReadOptions(parsed);
        if (options.Stop == StopRule.ValLlk && validationFile is null)
            throw new CommandException(ExitCodes.BadOption, "--stop val-llk needs held-out data: give it with --validation FILE");
        var name = parsed.GetValue(_job) ?? JobStore.SuggestName(file);
        var store = _environment.Store(parsed);
        JobStore.ValidateName(name);   // refuse a bad --job before spending time on the data

        var loading = Stopwatch.StartNew();
        var train = TripletFileReader.Read(file, format, cancellationToken);
        HeldOutSet? validation = null;
        if (validationFile is not null)
        {
            validation = HeldOutSet.Map(TripletFileReader.Read(validationFile, format, cancellationToken), train);
            if (validation.Count == 0)
            {
                var problem = $"{validationFile}: no held-out nonzero has both its user and its item in {file}";
                if (options.Stop == StopRule.ValLlk) throw new CommandException(ExitCodes.BadData, problem);
                output.Warn($"{problem}; training without validation");
                validation = null;
            }
        }
        var loadSeconds = loading.Elapsed.TotalSeconds;
        output.Line($"loaded {file}: {train.Users} users, {train.Items} items, {train.Nonzeros} nonzeros in {ProgressText.Seconds(loadSeconds)} s");
        if (validation is not null)
        {
            output.Line($"validation {validationFile}: {validation.Count} nonzeros used, {validation.SkippedUnknownUser} skipped (unknown user), {validation.SkippedUnknownItem} skipped (unknown item)");
        }

        var trainer = new InProcessTrainer(options);
        var result = await TrainingProgressDisplay.RunAsync(
            output, options.MaxIterations, options.CheckEvery,
            progress => trainer.Train(train, validation, progress, cancellationToken), cancellationToken);

        var report = result.Report;
        output.Line($"trained {report.Iterations} iterations in {ProgressText.Seconds(report.TrainingSeconds)} s ({ProgressText.Seconds(report.SecondsPerIteration)} s/iteration); {report.StopReason}");
        if (report.Curve.Count > 0)
        {
            var last = report.Curve[^1];
            var validationText = last.ValidationLogLikelihood is { } v ? $", validation {ProgressText.LogLikelihood(v)} per nonzero" : "";
            output.Line($"final log-likelihood: train {ProgressText.LogLikelihood(last.TrainLogLikelihood)}{validationText}");
        }

        // Ctrl+C after training still means "do not keep this run".
        cancellationToken.ThrowIfCancellationRequested();
        var manifest = JobStoreManifest.Describe(
            name, result, train, loadSeconds, Path.GetFullPath(file), formatWord.ToLowerInvariant(),
            validationFile is null ? null : Path.GetFullPath(validationFile), DateTimeOffset.UtcNow);
        var replacing = store.Exists(name);
        var saved = store.Save(manifest, result.Model, train, cancellationToken);
        output.Line($"{(replacing ? "replaced" : "saved")} job '{name}' in {saved.Directory}");

        if (parsed.GetValue(_export) is { } exportDirectory)
        {
            JobStore.Export(result.Model, saved.Manifest, exportDirectory, cancellationToken);
            output.Line($"exported {JobStore.ThetaFileName}, {JobStore.BetaFileName} and {JobStore.ManifestFileName} to {Path.GetFullPath(exportDirectory)}");
        }
        return ExitCodes.Success;
    }

    private TrainingOptions ReadOptions(ParseResult parsed)
    {
        var options = new TrainingOptions
        {
            Factors = parsed.GetValue(_k),
            Priors = new HpfPriors(parsed.GetValue(_a), parsed.GetValue(_aPrime), parsed.GetValue(_bPrime), parsed.GetValue(_c), parsed.GetValue(_cPrime), parsed.GetValue(_dPrime)),
            MaxIterations = parsed.GetValue(_maxIter),
            Stop = OptionWords.Parse(OptionWords.StopRules, parsed.GetValue(_stop)!),
            CheckEvery = parsed.GetValue(_checkEvery),
            StopThreshold = parsed.GetValue(_stopThreshold),
            UsersPerBatch = parsed.GetValue(_usersPerBatch),
            ItemsPerBatch = parsed.GetValue(_itemsPerBatch),
            StepTau0 = parsed.GetValue(_stepTau0),
            StepKappa = parsed.GetValue(_stepKappa),
            StepSchedule = OptionWords.Parse(OptionWords.StepSchedules, parsed.GetValue(_stepSchedule)!),
            Seed = parsed.GetValue(_seed),
            Threads = parsed.GetValue(_threads),
        };
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

    private static Option<double> Prior(string name, string meaning, double defaultValue) =>
        new(name) { Description = $"prior: {meaning}", DefaultValueFactory = _ => defaultValue };
}
