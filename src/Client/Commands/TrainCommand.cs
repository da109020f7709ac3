using System.CommandLine;
using System.Diagnostics;
using Hpf.Cluster.Client.Cluster;
using Hpf.Cluster.Client.Rendering;
using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Client.Commands;

/// <summary>
/// <c>hpf train FILE …</c>: trains with live progress and saves the job in the local store. On a cluster with
/// <c>--cluster URL</c>; without it through a silo embedded in this process (the same client code); with
/// <c>--in-process</c> directly on the engine's trainer, the fastest path on one machine.
/// </summary>
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
    private readonly ClusterConnection _connection = new("train on this cluster: the URL of a silo's client API, e.g. http://127.0.0.1:11180");
    private readonly Option<bool> _inProcess = new("--in-process") { Description = "train in this process on the engine's trainer, without a silo (the fastest path on one machine)" };
    private readonly Option<int> _userShards = new("--user-shards") { Description = "user shards of the job, 0 = one per silo or more for large data", DefaultValueFactory = _ => DefaultSpec.UserShards, HelpName = "N" };
    private readonly Option<int> _itemShards = new("--item-shards") { Description = "item shards of the job, 0 = as for users", DefaultValueFactory = _ => DefaultSpec.ItemShards, HelpName = "N" };
    private readonly Option<int> _checkpointEvery = new("--checkpoint-every") { Description = "shards checkpoint every M iterations, 0 = only the final model", DefaultValueFactory = _ => DefaultSpec.CheckpointEvery, HelpName = "M" };
    private readonly Option<bool> _replace = new("--replace") { Description = "with --cluster: replace a cluster job of the same name (a training one is cancelled)" };

    private static readonly JobSpec DefaultSpec = new();

    public TrainCommand(CommandEnvironment environment)
    {
        _environment = environment;
        Command = new Command("train", "Train an HPF model on a file of (user, item, count) triplets and save it as a job")
        {
            _file, _format, _k, _a, _aPrime, _bPrime, _c, _cPrime, _dPrime, _maxIter, _stop, _checkEvery, _stopThreshold,
            _validation, _usersPerBatch, _itemsPerBatch, _stepTau0, _stepKappa, _stepSchedule, _seed, _threads, _job, _export,
            _connection.Cluster, _connection.ApiKey, _inProcess, _userShards, _itemShards, _checkpointEvery, _replace,
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
        var inProcess = parsed.GetValue(_inProcess);
        var cluster = inProcess ? null : _connection.Address(parsed);
        if (inProcess && Given(parsed, _connection.Cluster))
            throw new CommandException(ExitCodes.BadOption, "--in-process and --cluster exclude each other: train here, or on the cluster");
        if (inProcess && (Given(parsed, _userShards) || Given(parsed, _itemShards) || Given(parsed, _checkpointEvery) || Given(parsed, _replace)))
            throw new CommandException(ExitCodes.BadOption, "--user-shards, --item-shards, --checkpoint-every and --replace are for training on a silo; --in-process has no shards");
        if (cluster is null && Given(parsed, _replace))
            throw new CommandException(ExitCodes.BadOption, "--replace is for a job on a cluster (--cluster URL); the local job store always replaces a job of the same name");

        var trained = inProcess
            ? await TrainInProcessAsync(file, validationFile, format, options, cancellationToken)
            : await TrainOnSiloAsync(parsed, cluster, name, file, validationFile, format, options, cancellationToken);

        var report = trained.Result.Report;
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
            name, trained.Result, trained.Train, trained.LoadSeconds, Path.GetFullPath(file), formatWord.ToLowerInvariant(),
            validationFile is null ? null : Path.GetFullPath(validationFile), DateTimeOffset.UtcNow);
        var replacing = store.Exists(name);
        var saved = store.Save(manifest, trained.Result.Model, trained.Train, cancellationToken);
        output.Line($"{(replacing ? "replaced" : "saved")} job '{name}' in {saved.Directory}");

        if (parsed.GetValue(_export) is { } exportDirectory)
        {
            JobStore.Export(trained.Result.Model, saved.Manifest, exportDirectory, cancellationToken);
            output.Line($"exported {JobStore.ThetaFileName}, {JobStore.BetaFileName} and {JobStore.ManifestFileName} to {Path.GetFullPath(exportDirectory)}");
        }
        return ExitCodes.Success;
    }

    /// <summary>The engine's trainer on data read here: no silo, no HTTP.</summary>
    private async Task<TrainedJob> TrainInProcessAsync(string file, string? validationFile, DatasetFormat format, TrainingOptions options, CancellationToken cancellationToken)
    {
        var output = _environment.Output;
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
            progress => Task.Run(() => trainer.Train(train, validation, progress, cancellationToken), cancellationToken), cancellationToken);
        return new TrainedJob(result, train, loadSeconds);
    }

    /// <summary>
    /// Through a silo's API: the cluster's at <paramref name="cluster"/>, or, when that is null, a silo started in this
    /// process for the run. The model comes back over the wire; the training set the local store keeps beside it
    /// (train.bin, for leaving seen items out of recommendations) is read here from the same file.
    /// </summary>
    private async Task<TrainedJob> TrainOnSiloAsync(ParseResult parsed, Uri? cluster, string name, string file, string? validationFile,
        DatasetFormat format, TrainingOptions options, CancellationToken cancellationToken)
    {
        var output = _environment.Output;
        // Checked here so that a typo is a local error, not a job created and refused on the cluster.
        foreach (var path in validationFile is null ? [file] : new[] { file, validationFile })
        {
            if (!File.Exists(path)) throw new FileNotFoundException($"file not found: {path}", path);
        }
        var spec = new JobSpec
        {
            Training = options,
            UserShards = parsed.GetValue(_userShards),
            ItemShards = parsed.GetValue(_itemShards),
            CheckpointEvery = parsed.GetValue(_checkpointEvery),
            ExpectedNonzeros = new FileInfo(file).Length / ApproximateBytesPerLine,
        };
        try
        {
            spec.Validate();
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw CommandException.BadOption(e);
        }

        EmbeddedSilo? embedded = null;
        try
        {
            if (cluster is null)
            {
                embedded = await EmbeddedSilo.StartAsync(_environment.Store(parsed).DataDirectory, output, cancellationToken);
            }
            using var client = embedded is null
                ? new ClusterApiClient(cluster!, _connection.Key(parsed))
                : new ClusterApiClient(embedded.ApiAddress, embedded.ApiKey);
            if (embedded is null) output.Line($"training job '{name}' on the cluster at {client.BaseAddress}");
            var run = new ClusterTrainingRun(client, output);
            // The embedded silo's tables are this run's alone: a job left there by a killed run is simply replaced.
            var (status, model) = await run.TrainAsync(name, spec, replace: embedded is not null || parsed.GetValue(_replace),
                file, validationFile, format, cancellationToken);
            if (embedded is not null) await client.DeleteAsync(name, cancellationToken);

            var train = TripletFileReader.Read(file, format, cancellationToken);
            if (!train.UserIds.AsSpan().SequenceEqual(model.UserIds) || !train.ItemIds.AsSpan().SequenceEqual(model.ItemIds))
            {
                throw new CommandException(ExitCodes.BadData,
                    $"{file} changed while job '{name}' trained: it now has {train.Users} users and {train.Items} items, the model {model.Users} and {model.Items}; nothing was saved");
            }
            var report = new TrainingReport(status.Iteration, status.SecondsPerIteration, status.ElapsedSeconds, status.StopReason ?? "", status.Curve);
            return new TrainedJob(new TrainingResult(model, report), train, status.LoadSeconds);
        }
        finally
        {
            if (embedded is not null) await embedded.DisposeAsync();
        }
    }

    /// <summary>For the default shard counts only: a line of TSV triplets is about this long.</summary>
    private const long ApproximateBytesPerLine = 16;

    private static bool Given(ParseResult parsed, Option option) => parsed.GetResult(option) is { Implicit: false };

    /// <summary>What either path trained: the model with its report, the training set as read, and the loading time.</summary>
    private sealed record TrainedJob(TrainingResult Result, Dataset Train, double LoadSeconds);

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
