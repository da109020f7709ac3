using System.IO.Pipelines;
using Hpf.Cluster.Grains.Data;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Engine.Budget;
using Hpf.Cluster.Grains.Interfaces;
using Hpf.Cluster.Grains.Loading;
using Hpf.Cluster.Grains.Serving;
using Hpf.Cluster.Silo.Api;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.Runtime.Messaging;

namespace Hpf.Cluster.Client.Cluster;

/// <summary>
/// The console's jobs on a silo, through Orleans' <see cref="IGrainFactory"/>: a cluster's (an Orleans client connected
/// to its gateways) or the embedded silo's (its own grain factory). Each operation does what the silo's HTTP endpoint of
/// the same name does, with the same grains, <see cref="JobUpload"/> and <see cref="JobModelQueries"/>; every failure
/// comes out as a <see cref="ClusterApiException"/> saying what happened in the user's terms.
/// </summary>
internal sealed partial class ClusterJobs : IAsyncDisposable
{
    /// <summary>How long stopping the Orleans client may take: it only closes its gateway connections.</summary>
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(10);

    private readonly IGrainFactory _grains;
    private readonly JobModelQueries _queries;
    private readonly IHost? _client;

    private ClusterJobs(IGrainFactory grains, string where, IHost? client)
    {
        _grains = grains;
        _queries = new JobModelQueries(grains);
        _client = client;
        Where = where;
    }

    /// <summary>Names the silo in messages: "the cluster at 127.0.0.1:30000", "the embedded silo".</summary>
    public string Where { get; }

    /// <summary>Jobs of a silo in this process, called through its own grain factory.</summary>
    public static ClusterJobs InProcess(IGrainFactory grains, string where) => new(grains, where, client: null);

    /// <summary>Connects an Orleans client to the cluster's gateways; Orleans moves to another gateway when one is lost.</summary>
    /// <exception cref="ClusterApiException">No gateway answered (<see cref="ClusterFailure.Unreachable"/>).</exception>
    public static async Task<ClusterJobs> ConnectAsync(GatewayList gateways, ClusterIdentity identity, CancellationToken cancellationToken)
    {
        var endpoints = await gateways.ResolveAsync(cancellationToken);
        var where = $"the cluster at {gateways}";
        var clusterId = identity.ClusterId;
        // The gateway's certificate, when this console refused it: the reason a failed connection is reported with.
        string? refused = null;
        // No default configuration sources or loggers: the console owns the terminal, and the user's appsettings.json
        // in the working directory is not ours to read.
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, EnvironmentName = Environments.Production });
        builder.UseOrleansClient(client =>
        {
            client.UseStaticClustering(endpoints);
            client.Configure<ClusterOptions>(o =>
            {
                o.ClusterId = clusterId;
                o.ServiceId = ClusterConnection.DefaultClusterId;
            });
            client.Configure<ClientMessagingOptions>(o => o.MaxMessageBodySize = HpfMessaging.MaxMessageBodySize);
            if (identity.Certificate is { } certificate) client.UseTls(o => certificate.Configure(o, why => refused = why));
            // A gateway that went away is dropped from the list within seconds, so calls go to the others.
            client.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = TimeSpan.FromSeconds(5));
            // Orleans' own retry filter tries 15 times over three minutes before a console could say that nothing
            // answers; a few quick tries ride out a gateway that is still starting.
            var attempts = 0;
            client.UseConnectionRetryFilter(async (_, ct) =>
            {
                if (++attempts > ConnectAttempts) return false;
                await Task.Delay(ConnectRetryDelay, ct);
                return true;
            });
        });
        var host = builder.Build();
        try
        {
            await host.StartAsync(cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            host.Dispose();
            var tls = refused is not null ? $"; this console refused its TLS certificate: {refused}"
                : identity.Certificate is not null ? "; over TLS: a gateway that refuses this console's certificate closes the connection, and its log says why"
                : "";
            throw new ClusterApiException(ClusterFailure.Unreachable, $"cannot reach {where} (cluster id '{clusterId}'): {e.Message}{tls}", inner: e);
        }
        catch
        {
            host.Dispose();
            throw;
        }
        return new ClusterJobs(host.Services.GetRequiredService<IClusterClient>(), where, host);
    }

    /// <summary>Connection attempts after the first before the console reports the cluster unreachable (about 2 s in all).</summary>
    private const int ConnectAttempts = 4;

    private static readonly TimeSpan ConnectRetryDelay = TimeSpan.FromMilliseconds(500);

    public Task<JobStatus> CreateJobAsync(string job, JobSpec spec, bool replace, CancellationToken cancellationToken) =>
        CallAsync(job, async () =>
        {
            CheckName(job);
            try
            {
                spec.Validate();
            }
            catch (ArgumentOutOfRangeException e)
            {
                throw new ClusterApiException(ClusterFailure.BadRequest, CommandException.OptionMessage(e), inner: e);
            }
            var coordinator = _grains.GetGrain<ICoordinatorGrain>(job);
            if (!replace && await coordinator.GetStatus(cancellationToken) is { } existing)
                throw new ClusterApiException(ClusterFailure.Conflict, $"job '{job}' exists on {Where} ({Word(existing.State)})");
            return await coordinator.Create(spec, replace, cancellationToken);
        });

    /// <summary>Reads <paramref name="content"/> here and streams its triplets to the job's shards; a file with bad lines fails with <see cref="ClusterFailure.BadData"/>.</summary>
    /// <param name="source">The file name as the user gave it: for the Auto format and the file:line errors.</param>
    /// <param name="header">Line 1 is a header even in a format that usually has none.</param>
    public Task<JobStatus> UploadAsync(string job, DataSetKind kind, DatasetFormat format, string source, Stream content, CancellationToken cancellationToken, bool header = false) =>
        CallAsync(job, async () =>
        {
            await FindAsync(job, cancellationToken);
            return await JobUpload.RunAsync(_grains, job, kind, content, source, format, cancellationToken, header);
        });

    public Task<JobStatus> StartAsync(string job, CancellationToken cancellationToken) =>
        CallAsync(job, async () =>
        {
            await FindAsync(job, cancellationToken);
            return await _grains.GetGrain<ICoordinatorGrain>(job).Start(cancellationToken);
        });

    public Task<JobStatus> GetStatusAsync(string job, CancellationToken cancellationToken) =>
        CallAsync(job, () => FindAsync(job, cancellationToken));

    public Task<JobStatus> CancelAsync(string job, CancellationToken cancellationToken) =>
        CallAsync(job, async () =>
        {
            await FindAsync(job, cancellationToken);
            return await _grains.GetGrain<ICoordinatorGrain>(job).Cancel(cancellationToken);
        });

    public Task DeleteAsync(string job, CancellationToken cancellationToken) =>
        CallAsync(job, async () =>
        {
            await FindAsync(job, cancellationToken);
            await _grains.GetGrain<ICoordinatorGrain>(job).Delete(cancellationToken);
            _queries.Forget(job);
            return true;
        });

    public Task<JobListing[]> ListJobsAsync(CancellationToken cancellationToken) =>
        CallAsync(null, () => _grains.GetGrain<IJobRegistryGrain>(IJobRegistryGrain.Key).List(cancellationToken));

    /// <summary>
    /// A completed job's model, read shard by shard in the layout of the API's model download (written and read by
    /// <see cref="ModelDownloadFormat"/> through a pipe, so no second copy of the code and never two copies of the model).
    /// </summary>
    public Task<HpfModel> DownloadModelAsync(string job, TrainingOptions training, CancellationToken cancellationToken) =>
        CallAsync(job, async () =>
        {
            var status = await FindAsync(job, cancellationToken);
            if (status.Spec.Training.Model == ModelKind.Gaussian)
            {
                throw new ClusterApiException(ClusterFailure.BadRequest,
                    $"job '{job}' is a Gaussian model of ratings: it has no HPF factors to download or export; hpf pull copies its model into the local store");
            }
            if (status.State != JobState.Completed)
            {
                var why = status.State == JobState.Failed && status.Error is { } error ? $": {error}" : "";
                throw new ClusterApiException(ClusterFailure.Conflict,
                    $"job '{job}' is {Word(status.State)} (iteration {status.Iteration}){why}; its model can be downloaded once it has completed");
            }
            var shards = await _grains.GetGrain<ICoordinatorGrain>(job).GetShards(cancellationToken);
            var pipe = new Pipe();
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var writing = WriteModelAsync(pipe.Writer, status, shards, stop.Token);
            try
            {
                await using var source = pipe.Reader.AsStream();
                // A budget model's groups come in the download, after its items.
                return await ModelDownloadFormat.ReadAsync(source, training, stop.Token);
            }
            catch (InvalidDataException e) when (!writing.IsFaulted)
            {
                throw new ClusterApiException(ClusterFailure.ServerError, $"the model of job '{job}' on {Where} cannot be read: {e.Message}", inner: e);
            }
            finally
            {
                await stop.CancelAsync();
                // The writer's own failure (a lost shard) is the one worth reporting.
                await writing;
            }
        });

    /// <summary>A completed Gaussian job's model, read out of its shards with the hyperparameters of their final checkpoint.</summary>
    public Task<Grains.Engine.Gaussian.GaussianModel> DownloadGaussianModelAsync(string job, TrainingOptions training, CancellationToken cancellationToken) =>
        CallAsync(job, async () =>
        {
            var status = await FindAsync(job, cancellationToken);
            if (status.State != JobState.Completed)
                throw new ClusterApiException(ClusterFailure.Conflict, $"job '{job}' is {Word(status.State)} (iteration {status.Iteration}); its model can be read once it has completed");
            return await Grains.Serving.GaussianModelPull.ReadAsync(_grains, job, training, cancellationToken);
        });

    /// <summary>
    /// A completed job as the local store keeps one: its model (as <see cref="DownloadModelAsync"/> reads it) and the
    /// training set it was trained on, read out of its user shards, so that the saved job serves what the cluster serves.
    /// </summary>
    public Task<PulledJob> PullAsync(string job, CancellationToken cancellationToken) =>
        CallAsync(job, async () =>
        {
            var status = await FindAsync(job, cancellationToken);
            var model = await DownloadModelAsync(job, status.Spec.Training, cancellationToken);
            var shards = await _grains.GetGrain<ICoordinatorGrain>(job).GetShards(cancellationToken);
            var train = await ReadTrainingSetAsync(job, shards, model.UserIds, model.ItemIds, gaussian: false, cancellationToken);
            if (status.Data is { } data && data.Nonzeros != train.Nonzeros)
                throw new ClusterApiException(ClusterFailure.ServerError, $"job '{job}' on {Where} has {data.Nonzeros} training nonzeros, its shards returned {train.Nonzeros}");
            return new PulledJob(status, model, train);
        });

    public Task<RecommendationList> RecommendAsync(string job, string user, int count, bool includeSeen, string[]? pool, CancellationToken cancellationToken) =>
        CallAsync(job, () =>
        {
            CheckName(job);
            return _queries.RecommendAsync(job, user, count, includeSeen, pool, cancellationToken);
        });

    public Task<RecommendationList> ColdStartAsync(string job, int count, string[]? pool, CancellationToken cancellationToken) =>
        CallAsync(job, () =>
        {
            CheckName(job);
            return _queries.ColdStartAsync(job, count, pool, cancellationToken);
        });

    public Task<PredictionList> PredictAsync(string job, IReadOnlyList<(string User, string Item)> pairs, CancellationToken cancellationToken) =>
        CallAsync(job, () =>
        {
            CheckName(job);
            return _queries.PredictAsync(job, pairs, cancellationToken);
        });

    public Task<FoldInResult> FoldInAsync(string job, string? user, IReadOnlyList<ItemCount> counts, int count, CancellationToken cancellationToken) =>
        CallAsync(job, () =>
        {
            CheckName(job);
            return _queries.FoldInAsync(job, user, counts, count, cancellationToken);
        });

    /// <summary>Folds the user in and stores them; a user the model has, without <paramref name="updateExisting"/>, is <see cref="ClusterFailure.UserExists"/>.</summary>
    public Task<FoldInResult> AddUserAsync(string job, string user, IReadOnlyList<ItemCount> counts, bool updateExisting, CancellationToken cancellationToken) =>
        CallAsync(job, async () =>
        {
            CheckName(job);
            try
            {
                return await _queries.AddUserAsync(job, user, counts, updateExisting, cancellationToken);
            }
            catch (JobConflictException e)
            {
                // The user's shard refuses to overwrite a user it has; the shard is the one place that knows.
                throw new ClusterApiException(ClusterFailure.UserExists, $"user '{user}' is already in job '{job}' on {Where}", inner: e);
            }
        });

    /// <summary>Reads a test file here with the engine's reader and scores the job's model on it through its shards.</summary>
    /// <param name="source">The file name as the user gave it: for the Auto format and the file:line errors.</param>
    public Task<ClusterEvaluation> EvaluateAsync(string job, Stream content, string source, DatasetFormat format, int k, CancellationToken cancellationToken, bool header = false) =>
        CallAsync(job, async () =>
        {
            // Refused before the file is read, so a typo in the job's name costs no reading.
            var status = await FindAsync(job, cancellationToken);
            var test = await StreamedDataset.ReadAsync(content, source, format, "evaluate", cancellationToken, header, ratings: status.Spec.Training.Model == ModelKind.Gaussian);
            return await _queries.EvaluateAsync(job, test, k, cancellationToken);
        });

    /// <summary>A further SVI pass over new users' counts on a finished job (hpfrec's partial_fit).</summary>
    public Task<PartialFitResult> PartialFitAsync(string job, Stream content, string source, DatasetFormat format, int? usersPerBatch, CancellationToken cancellationToken, bool header = false) =>
        CallAsync(job, async () =>
        {
            CheckName(job);
            var batch = await StreamedDataset.ReadAsync(content, source, format, "fit", cancellationToken, header);
            return await _queries.PartialFitAsync(job, batch, usersPerBatch, cancellationToken);
        });

    public async ValueTask DisposeAsync()
    {
        if (_client is null) return;
        try
        {
            using var timeout = new CancellationTokenSource(StopTimeout);
            await _client.StopAsync(timeout.Token);
        }
        catch (Exception e) when (e is OperationCanceledException or OrleansException)
        {
            // A cluster that went away while we were connected: nothing is left to close gracefully.
        }
        finally
        {
            _client.Dispose();
        }
    }

    /// <summary>Training rows per <see cref="IShardGrain.TrainingRows"/> call: a few MB for users of a few hundred items.</summary>
    private const int TrainingPageRows = 4096;

    /// <summary>
    /// The job's training set over the model's users and items. An item shard's local indices are the ranks of its ids
    /// in ordinal order, and which shard holds an item is <see cref="ShardRouting.ShardOf"/>, so the model's item ids
    /// give every shard's index of ids (checked against each shard's own row count).
    /// </summary>
    /// <param name="gaussian">The shards hold a Gaussian model, whose rows are counted by its own call.</param>
    private async Task<Dataset> ReadTrainingSetAsync(string job, ShardSet shards, string[] userIds, string[] itemIds, bool gaussian, CancellationToken cancellationToken)
    {
        var itemsOfShard = new List<int>[shards.Items.Length];
        for (var j = 0; j < itemsOfShard.Length; j++) itemsOfShard[j] = [];
        for (var i = 0; i < itemIds.Length; i++) itemsOfShard[ShardRouting.ShardOf(itemIds[i], itemsOfShard.Length)].Add(i);
        for (var j = 0; j < itemsOfShard.Length; j++)
        {
            var rows = gaussian
                ? (await shards.Items[j].GaussianModelRows(0, 0, cancellationToken)).TotalRows
                : (await shards.Items[j].ModelRows(0, 0, cancellationToken)).TotalRows;
            if (rows != itemsOfShard[j].Count)
                throw new ClusterApiException(ClusterFailure.ServerError, $"item shard {j} of job '{job}' on {Where} holds {rows} items; the model routes {itemsOfShard[j].Count} to it");
        }
        var itemsOfUser = new int[userIds.Length][];
        var countsOfUser = new float[userIds.Length][];
        foreach (var shard in shards.Users)
        {
            var start = 0;
            while (true)
            {
                var page = await shard.TrainingRows(start, TrainingPageRows, cancellationToken);
                var n = 0;
                for (var r = 0; r < page.Ids.Length; r++)
                {
                    var u = Array.BinarySearch(userIds, page.Ids[r], StringComparer.Ordinal);
                    if (u < 0) throw new ClusterApiException(ClusterFailure.ServerError, $"user '{page.Ids[r]}' of job '{job}' has training counts on {Where} but no factors");
                    var length = page.RowLengths[r];
                    var items = new int[length];
                    for (var k = 0; k < length; k++) items[k] = itemsOfShard[page.ItemShards[n + k]][page.ItemLocals[n + k]];
                    var counts = page.Counts.AsSpan(n, length).ToArray();
                    // The engine keeps a row's nonzeros in item order.
                    Array.Sort(items, counts);
                    (itemsOfUser[u], countsOfUser[u]) = (items, counts);
                    n += length;
                }
                start += page.Ids.Length;
                if (page.Ids.Length == 0 || start >= page.TotalRows) break;
            }
        }
        var rowStart = new int[userIds.Length + 1];
        for (var u = 0; u < userIds.Length; u++)
        {
            if (itemsOfUser[u] is null) throw new ClusterApiException(ClusterFailure.ServerError, $"no shard of job '{job}' on {Where} returned the training counts of user '{userIds[u]}'");
            rowStart[u + 1] = rowStart[u] + itemsOfUser[u].Length;
        }
        var other = new int[rowStart[^1]];
        var values = new float[rowStart[^1]];
        for (var u = 0; u < userIds.Length; u++)
        {
            itemsOfUser[u].CopyTo(other, rowStart[u]);
            countsOfUser[u].CopyTo(values, rowStart[u]);
        }
        return new Dataset(userIds, itemIds, new SparseRows(rowStart, other, values));
    }

    private async Task WriteModelAsync(PipeWriter writer, JobStatus status, ShardSet shards, CancellationToken cancellationToken)
    {
        await Task.Yield();
        try
        {
            await using var destination = writer.AsStream();
            await ModelDownloadFormat.WriteAsync(destination, status, shards, cancellationToken);
            await writer.CompleteAsync();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The reader stopped first (it failed, or the console was interrupted); its exception is the one reported.
        }
        catch (Exception e)
        {
            await writer.CompleteAsync(e);
            throw;
        }
    }

    /// <summary>The job's status; a name no job can have is a bad request, no such job is <see cref="ClusterFailure.JobNotFound"/>.</summary>
    private async Task<JobStatus> FindAsync(string job, CancellationToken cancellationToken)
    {
        CheckName(job);
        return await _grains.GetGrain<ICoordinatorGrain>(job).GetStatus(cancellationToken) ?? throw new JobNotFoundException(job);
    }

    private static void CheckName(string job)
    {
        if (JobStore.NameProblem(job) is { } problem) throw new ClusterApiException(ClusterFailure.BadRequest, problem);
    }

    /// <summary>Runs one operation, turning what the grains and Orleans throw into the console's failures.</summary>
    private async Task<T> CallAsync<T>(string? job, Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (Exception e) when (FailureOf(e, job) is { } failure)
        {
            throw failure;
        }
    }

    /// <summary>The console's failure for an exception; null for one that keeps its own meaning (cancellation, a local I/O error).</summary>
    private ClusterApiException? FailureOf(Exception e, string? job) => e switch
    {
        ClusterApiException => null,
        JobNotFoundException missing => new(ClusterFailure.JobNotFound, $"job '{missing.Job}' not found on {Where}", inner: e),
        ModelNotServableException => new(ClusterFailure.ModelNotServable, e.Message, inner: e),
        UnknownUserException => new(ClusterFailure.UnknownUser, e.Message, inner: e),
        UnknownItemException => new(ClusterFailure.UnknownItem, e.Message, inner: e),
        UnknownGroupException => new(ClusterFailure.UnknownItem, e.Message, inner: e),
        DataFormatException refused => new(ClusterFailure.BadData, refused.Message, [.. refused.Errors.Select(error => error.ToString())], refused.TotalErrors, e),
        JobConflictException => new(ClusterFailure.Conflict, e.Message, inner: e),
        ArgumentException argument => new(ClusterFailure.BadRequest, CommandException.OptionMessage(argument), inner: e),
        TimeoutException => new(ClusterFailure.Unreachable, $"{Where} did not answer in time{About(job)}: {e.Message}", inner: e),
        SiloUnavailableException or OrleansMessageRejectionException or ConnectionFailedException or ClientNotAvailableException or GatewayTooBusyException =>
            new(ClusterFailure.Unreachable, $"lost contact with {Where}{About(job)}: {e.Message}", inner: e),
        OrleansException or InvalidOperationException => new(ClusterFailure.ServerError, $"{Where} failed{About(job)}: {e.GetType().Name}: {e.Message}", inner: e),
        _ => null,
    };

    private static string About(string? job) => job is null ? "" : $" (job '{job}')";

    /// <summary>The state as the JSON spells it.</summary>
    private static string Word(JobState state) => state.ToString().ToLowerInvariant();
}
