using System.CommandLine;
using System.Diagnostics;
using Hpf.Cluster.Client.Cluster;
using Hpf.Cluster.Client.Rendering;
using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Engine.Budget;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Client.Commands;

/// <summary>
/// <c>hpf train FILE …</c>: trains with live progress and saves the job in the local store. On a cluster with
/// <c>--cluster host:port[,…]</c> (an Orleans client of its gateways); without it through a silo embedded in this process (the same client code); with
/// <c>--in-process</c> directly on the engine's trainer, the fastest path on one machine.
/// </summary>
internal sealed partial class TrainCommand
{
    private readonly CommandEnvironment _environment;
    private readonly Argument<string> _file = new("FILE") { Description = "the training data: user, item, count triplets" };
    private readonly Option<string> _format = OptionWords.Format();
    private readonly Option<bool> _header = OptionWords.Header();
    private readonly TrainingOptionSet _training = new();
    private readonly Option<string?> _validation = new("--validation") { Description = "held-out triplets for the val-llk rule and the curve", HelpName = "FILE" };
    private readonly Option<string?> _job = new("--job") { Description = "name to save the job under (default: the file name without extension)", HelpName = "NAME" };
    private readonly Option<string?> _export = new("--export") { Description = "also write theta.tsv, beta.tsv, model.json (and a budget job's groups.tsv) here", HelpName = "DIR" };
    private readonly TrainingTargetOptions _target = new("train on this cluster");

    public TrainCommand(CommandEnvironment environment)
    {
        _environment = environment;
        Command = new Command("train", "Train an HPF model on a file of (user, item, count) triplets, or with --model gaussian a model of (user, item, rating) triplets, and save it as a job") { _file, _format, _header, _validation };
        foreach (var option in _training.All) Command.Options.Add(option);
        Command.Options.Add(_groups);
        Command.Options.Add(_job);
        Command.Options.Add(_export);
        foreach (var option in _target.All) Command.Options.Add(option);
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
        var header = parsed.GetValue(_header);
        var options = ModelOptions(parsed, _training.Read(parsed));
        var groups = ReadGroups(parsed, options);
        if (options.Stop == StopRule.ValLlk && validationFile is null)
            throw new CommandException(ExitCodes.BadOption, "--stop val-llk needs held-out data: give it with --validation FILE");
        var name = parsed.GetValue(_job) ?? JobStore.SuggestName(file);
        var store = _environment.Store(parsed);
        JobStore.ValidateName(name);   // refuse a bad --job before spending time on the data
        // Where the job and the export go must be writable before the training, not found out after it.
        WritableDirectory.Require(store.DataDirectory, "the data directory (--data-dir)");
        if (parsed.GetValue(_export) is { } exportTarget) WritableDirectory.Require(exportTarget, "the export directory (--export)");
        var (inProcess, cluster) = _target.Resolve(parsed);
        if (options.Model == ModelKind.Gaussian)
            return await RunGaussianAsync(parsed, file, validationFile, format, formatWord, header, options, name, store, inProcess, cluster, cancellationToken);

        var trained = inProcess
            ? await TrainInProcessAsync(file, validationFile, format, header, options, groups, cancellationToken)
            : await TrainOnSiloAsync(parsed, cluster, name, file, validationFile, format, header, options, groups, cancellationToken);

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
            var groupsFile = trained.Result.Model.Groups is null ? "" : $", {JobStore.GroupsFileName}";
            output.Line($"exported {JobStore.ThetaFileName}, {JobStore.BetaFileName}{groupsFile} and {JobStore.ManifestFileName} to {Path.GetFullPath(exportDirectory)}");
        }
        return ExitCodes.Success;
    }

    /// <summary>The engine's trainer on data read here: no silo.</summary>
    private async Task<TrainedJob> TrainInProcessAsync(string file, string? validationFile, DatasetFormat format, bool header, TrainingOptions options,
        ItemGroupMap? groups, CancellationToken cancellationToken)
    {
        var output = _environment.Output;
        var loading = Stopwatch.StartNew();
        var train = TripletFileReader.Read(file, format, cancellationToken, header);
        RequireGroupsOfEveryItem(groups, file, train);
        HeldOutSet? validation = null;
        if (validationFile is not null)
        {
            validation = HeldOutSet.Map(TripletFileReader.Read(validationFile, format, cancellationToken, header), train);
            if (validation.Count == 0)
            {
                var problem = $"{validationFile}: no held-out nonzero has both its user and its item in {file}";
                if (options.Stop == StopRule.ValLlk) throw new CommandException(ExitCodes.BadData, problem);
                output.Warn($"{problem}; training without validation");
                validation = null;
            }
        }
        var loadSeconds = loading.Elapsed.TotalSeconds;
        // The reader's working arrays (the file's bytes, the parsed triplets before their rows were built) are garbage now
        // and would otherwise still be held when the model's arrays are made: at 48M nonzeros 3.6 GB at the peak, not 2.5.
        GC.Collect();
        output.Line($"loaded {file}: {train.Users} users, {train.Items} items, {train.Nonzeros} nonzeros in {ProgressText.Seconds(loadSeconds)} s");
        if (validation is not null)
        {
            output.Line($"validation {validationFile}: {validation.Count} nonzeros used, {validation.SkippedUnknownUser} skipped (unknown user), {validation.SkippedUnknownItem} skipped (unknown item)");
        }

        var trainer = new InProcessTrainer(options) { Groups = groups };
        var result = await TrainingProgressDisplay.RunAsync(
            output, options.MaxIterations, options.CheckEvery,
            progress => Task.Run(() => trainer.Train(train, validation, progress, cancellationToken), cancellationToken), cancellationToken);
        return new TrainedJob(result, train, loadSeconds);
    }

    /// <summary>
    /// Through a silo's grains: the cluster's at <paramref name="cluster"/>, or, when that is null, a silo started in this
    /// process for the run. The model comes back shard by shard; the training set the local store keeps beside it
    /// (train.bin, for leaving seen items out of recommendations) is read here from the same file.
    /// </summary>
    private async Task<TrainedJob> TrainOnSiloAsync(ParseResult parsed, GatewayList? cluster, string name, string file, string? validationFile,
        DatasetFormat format, bool header, TrainingOptions options, ItemGroupMap? groups, CancellationToken cancellationToken)
    {
        var output = _environment.Output;
        // Checked here so that a typo is a local error, not a job created and refused on the cluster.
        foreach (var path in validationFile is null ? [file] : new[] { file, validationFile })
        {
            if (!File.Exists(path)) throw new FileNotFoundException($"file not found: {path}", path);
        }
        // Every item needs a group: found out here, with the line, before a job is made of the file.
        if (groups is not null) RequireGroupsOfEveryItem(groups, file, TripletFileReader.Read(file, format, cancellationToken, header));
        var spec = _target.Spec(parsed, options, new FileInfo(file).Length / ApproximateBytesPerLine, groups?.ToTable());
        await using var session = await SiloSession.OpenAsync(cluster, () => _target.Connection.IdentityOf(parsed), _environment.Store(parsed).DataDirectory, output, cancellationToken);
        var client = session.Jobs;
        if (!session.IsEmbedded) output.Line($"training job '{name}' on {client.Where}");
        var run = new ClusterTrainingRun(client, output);
        // The embedded silo's jobs are the console's alone: a job left there by a killed run is simply replaced, and
        // once its model is in the local store (what recommend and the rest read) its shards and checkpoints go.
        var (status, model) = await run.TrainAsync(name, spec, replace: session.IsEmbedded || _target.Replace(parsed),
            file, validationFile, format, header, cancellationToken);
        if (session.IsEmbedded) await client.DeleteAsync(name, cancellationToken);

        var train = TripletFileReader.Read(file, format, cancellationToken, header);
        if (!train.UserIds.AsSpan().SequenceEqual(model.UserIds) || !train.ItemIds.AsSpan().SequenceEqual(model.ItemIds))
        {
            throw new CommandException(ExitCodes.BadData,
                $"{file} changed while job '{name}' trained: it now has {train.Users} users and {train.Items} items, the model {model.Users} and {model.Items}; nothing was saved");
        }
        var report = new TrainingReport(status.Iteration, status.SecondsPerIteration, status.ElapsedSeconds, status.StopReason ?? "", status.Curve);
        return new TrainedJob(new TrainingResult(model, report), train, status.LoadSeconds);
    }

    /// <summary>For the default shard counts only: a line of TSV triplets is about this long.</summary>
    private const long ApproximateBytesPerLine = 16;

    /// <summary>What either path trained: the model with its report, the training set as read, and the loading time.</summary>
    private sealed record TrainedJob(TrainingResult Result, Dataset Train, double LoadSeconds);
}
