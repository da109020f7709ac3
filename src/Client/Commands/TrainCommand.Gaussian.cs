using System.CommandLine;
using System.Diagnostics;
using Hpf.Cluster.Client.Cluster;
using Hpf.Cluster.Client.Rendering;
using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Engine.Gaussian;
using Hpf.Cluster.Grains.Interfaces;

namespace Hpf.Cluster.Client.Commands;

/// <summary>
/// <c>hpf train FILE --model gaussian</c>: the hierarchical Gaussian model of ratings (the third column any real value,
/// a pair given twice averaged), in process or through the grains of a silo (embedded, or a cluster's), saved in the
/// local store with its kind so that predict, recommend and fold-in serve it.
/// </summary>
internal sealed partial class TrainCommand
{
    private async Task<int> RunGaussianAsync(ParseResult parsed, string file, string? validationFile, DatasetFormat format, string formatWord, bool header,
        TrainingOptions options, string name, JobStore store, bool inProcess, GatewayList? cluster, CancellationToken cancellationToken)
    {
        var output = _environment.Output;
        if (parsed.GetValue(_export) is not null)
            throw new CommandException(ExitCodes.BadOption, "--export writes HPF's theta.tsv and beta.tsv; a Gaussian job has no such files (its model is in the job's model.bin)");
        if (!inProcess && options.Stop == StopRule.ValLlk)
            throw new CommandException(ExitCodes.BadOption, "--model gaussian with --stop val-llk trains in process only: add --in-process, or stop on train-llk or maxiter");

        Dataset train;
        GaussianTrainingResult result;
        double loadSeconds;
        if (inProcess)
        {
            var loading = Stopwatch.StartNew();
            train = TripletFileReader.Read(file, format, cancellationToken, header, ratings: true);
            HeldOutSet? validation = null;
            if (validationFile is not null)
            {
                validation = HeldOutSet.Map(TripletFileReader.Read(validationFile, format, cancellationToken, header, ratings: true), train);
                if (validation.Count == 0)
                {
                    var problem = $"{validationFile}: no held-out rating has both its user and its item in {file}";
                    if (options.Stop == StopRule.ValLlk) throw new CommandException(ExitCodes.BadData, problem);
                    output.Warn($"{problem}; training without validation");
                    validation = null;
                }
            }
            loadSeconds = loading.Elapsed.TotalSeconds;
            output.Line($"loaded {file}: {train.Users} users, {train.Items} items, {train.Nonzeros} ratings in {ProgressText.Seconds(loadSeconds)} s");
            var trainer = new GaussianTrainer(options);
            result = await TrainingProgressDisplay.RunAsync(
                output, options.MaxIterations, options.CheckEvery,
                progress => Task.Run(() => trainer.Train(train, validation, progress, cancellationToken), cancellationToken), cancellationToken);
        }
        else
        {
            foreach (var path in validationFile is null ? [file] : new[] { file, validationFile })
            {
                if (!File.Exists(path)) throw new FileNotFoundException($"file not found: {path}", path);
            }
            var spec = _target.Spec(parsed, options, new FileInfo(file).Length / ApproximateBytesPerLine);
            await using var session = await SiloSession.OpenAsync(cluster, () => _target.Connection.IdentityOf(parsed), store.DataDirectory, output, cancellationToken);
            var client = session.Jobs;
            if (!session.IsEmbedded) output.Line($"training job '{name}' on {client.Where}");
            var run = new ClusterTrainingRun(client, output);
            var status = await run.RunAsync(name, spec, replace: session.IsEmbedded || _target.Replace(parsed), file, validationFile, format, header, cancellationToken);
            var model = await client.DownloadGaussianModelAsync(name, status.Spec.Training, cancellationToken);
            if (session.IsEmbedded) await client.DeleteAsync(name, cancellationToken);
            train = TripletFileReader.Read(file, format, cancellationToken, header, ratings: true);
            if (!train.UserIds.AsSpan().SequenceEqual(model.UserIds) || !train.ItemIds.AsSpan().SequenceEqual(model.ItemIds))
            {
                throw new CommandException(ExitCodes.BadData,
                    $"{file} changed while job '{name}' trained: it now has {train.Users} users and {train.Items} items, the model {model.Users.Rows} and {model.Items.Rows}; nothing was saved");
            }
            loadSeconds = status.LoadSeconds;
            result = new GaussianTrainingResult(model, new TrainingReport(status.Iteration, status.SecondsPerIteration, status.ElapsedSeconds, status.StopReason ?? "", status.Curve));
        }

        var report = result.Report;
        var h = result.Model.Hyperparameters;
        output.Line($"trained {report.Iterations} iterations in {ProgressText.Seconds(report.TrainingSeconds)} s ({ProgressText.Seconds(report.SecondsPerIteration)} s/iteration); {report.StopReason}");
        output.Line($"global mean μ = {h.Mu:F4}, noise σ = {Math.Sqrt(h.NoiseVariance):F4}");
        if (report.Curve.Count > 0)
        {
            var last = report.Curve[^1];
            var validationText = last.ValidationLogLikelihood is { } v ? $", validation log-density {ProgressText.LogLikelihood(v)} per rating" : "";
            output.Line($"final bound: {ProgressText.LogLikelihood(last.TrainLogLikelihood)} per rating{validationText}");
        }

        cancellationToken.ThrowIfCancellationRequested();
        var manifest = JobStoreManifest.Describe(name, options, report, train, loadSeconds, Path.GetFullPath(file), formatWord.ToLowerInvariant(),
            validationFile is null ? null : Path.GetFullPath(validationFile), DateTimeOffset.UtcNow);
        var replacing = store.Exists(name);
        var saved = store.Save(manifest, result.Model, train, cancellationToken);
        output.Line($"{(replacing ? "replaced" : "saved")} job '{name}' in {saved.Directory}");
        return ExitCodes.Success;
    }
}
