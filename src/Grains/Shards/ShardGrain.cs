using System.Diagnostics;
using Hpf.Cluster.Grains.Engine;
using Hpf.Cluster.Grains.Interfaces;
using Hpf.Cluster.Grains.Jobs;
using Hpf.Cluster.Grains.Kernels;
using Hpf.Cluster.Grains.Placement;
using Hpf.Cluster.Grains.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Runtime;

namespace Hpf.Cluster.Grains.Shards;

/// <summary>
/// A shard of one side of a job's model (HPF-MATH.md, "Alternating half-steps" and "SVI"): users and items are the
/// same code with the roles swapped, as in the engine, whose row update (<see cref="FactorSide"/>) this runs over
/// the rows it gathers from the other side's shards. Its sealed data are its grain state; its parameters go to two
/// alternating checkpoint slots and a final slot beside it.
/// </summary>
[ShardPlacement]
public abstract partial class ShardGrain : Grain, IShardGrain
{
    /// <summary>Parameters not loaded: a fresh activation before a restore, or a shard that was never sealed.</summary>
    private const long NoParameters = -1;

    private readonly ICheckpointStore _store;
    private readonly ILogger _logger;
    private readonly CancellationToken _siloStopping;
    private readonly SiloLossSignal _siloLoss;
    private readonly RowTransferOptions _transfer;
    private readonly TimeSpan _pushWait;
    private readonly string?[] _slotETags = new string?[CheckpointRequest.FinalSlot + 1];
    private readonly System.Collections.Concurrent.ConcurrentDictionary<int, float[]> _fetchBuffers = new();
    /// <summary>One buffer per (receiver, part) of a push cut into parts, reused iteration after iteration as a whole push's is.</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<(int Receiver, int Part), float[]> _pushPartBuffers = new();
    private readonly List<StatisticsChunk> _pendingStatistics = [];
    /// <summary>The SVI global step's per-chunk changes of the column sums, kept from step to step (<see cref="GlobalRowStep.StepRows"/>).</summary>
    private double[] _globalStepChunkSums = [];
    private ShardSubscriptions _subscriptions = new();
    private ShardLoadBuffer? _buffer;
    private IndexedShard? _indexed;
    private ShardPlan? _plan;
    private SealedShard? _shard;
    private IShardGrain[] _others = [];
    private float[] _expectedTable = [];
    private EpochBatches? _epoch;
    private BatchStatistics? _statistics;
    /// <summary>An SVI global step's slot of each row of this side (−1 where untouched), its touched rows and their sums, kept between batches.</summary>
    private int[] _globalSlotOf = [];
    private readonly List<int> _globalTouched = [];
    private float[] _globalSums = [];
    private RowPushInbox? _inbox;
    private long _version = NoParameters;
    private string? _dataETag;
    private volatile bool _updating;

    protected ShardGrain(ICheckpointStore store, IOptions<SiloMessagingOptions> messaging, IOptions<RowTransferOptions> transfer,
        IHostApplicationLifetime lifetime, SiloLossSignal siloLoss, ILogger logger)
    {
        _transfer = transfer.Value;
        _siloLoss = siloLoss;
        _store = store;
        // A step waits for the other side's pushes no longer than a call may take.
        _pushWait = messaging.Value.ResponseTimeout;
        _siloStopping = lifetime.ApplicationStopping;
        _logger = logger;
    }

    /// <summary>The shard's key, <c>{job}/u/{n}</c> or <c>{job}/i/{n}</c>.</summary>
    private string GrainKey => this.GetPrimaryKeyString();

    /// <summary>Names the shard's data and checkpoints in the checkpoint store.</summary>
    private string StoreType => IsUserSide ? "user-shard" : "item-shard";

    /// <summary>True for user shards (θ, ξ, validation), false for item shards (β, η).</summary>
    protected abstract bool IsUserSide { get; }

    private string SideName => IsUserSide ? "user" : "item";
    private string OtherSideName => IsUserSide ? "item" : "user";

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // The store may run the callback off the grain's scheduler, where grain references cannot be made: it only
        // reads, and the references are made back here.
        string[] otherKeys = [];
        _dataETag = await _store.ReadAsync(StoreType, GrainKey, (stream, _) =>
        {
            var (shard, others) = ShardDataFormat.Read(stream);
            _shard = shard;
            _plan = shard.Plan;
            _subscriptions = shard.Subscriptions;
            otherKeys = others;
            return Task.CompletedTask;
        }, cancellationToken);
        _others = new IShardGrain[otherKeys.Length];
        for (var j = 0; j < otherKeys.Length; j++) _others[j] = OtherShard(otherKeys[j]);
        for (var slot = 0; slot < _slotETags.Length; slot++)
        {
            // Learn each slot's etag (the stream is not read) so this activation may overwrite what it finds.
            _slotETags[slot] = await _store.ReadAsync(SlotType(slot), GrainKey, (_, _) => Task.CompletedTask, cancellationToken);
        }
        if (_dataETag is not null && _slotETags[CheckpointRequest.FinalSlot] is not null)
        {
            // A finished job's shard serves its model as soon as it is activated (after a restart, say).
            var iteration = await ReadSlotAsync(CheckpointRequest.FinalSlot, expectedIteration: null, cancellationToken);
            if (!IsGaussianJob) ServeFinal(_shard!, iteration);
        }
        if (IsUserSide) await LoadAddedUsersAsync(cancellationToken);
    }

    // Loading

    public Task AddTriplets(TripletChunk chunk, CancellationToken cancellationToken)
    {
        if (_indexed is not null || _shard is not null) throw new InvalidOperationException($"{SideName} shard {GrainKey} is already sealed; its data cannot grow");
        if (chunk.Kind == DataSetKind.Validation && !IsUserSide) throw new ArgumentException("validation triplets go to user shards only");
        (_buffer ??= new ShardLoadBuffer()).Add(chunk);
        return Task.CompletedTask;
    }

    public async Task Discard(CancellationToken cancellationToken)
    {
        _buffer = null;
        _indexed = null;
        _shard = null;
        _served = null;
        _version = NoParameters;
        ResetGaussian();
        _fetchBuffers.Clear();
        _pushPartBuffers.Clear();
        await _store.ClearAsync(StoreType, GrainKey, _dataETag, cancellationToken);
        _dataETag = null;
        if (IsUserSide) await ClearAddedUsersAsync(cancellationToken);
        for (var slot = 0; slot < _slotETags.Length; slot++)
        {
            await _store.ClearAsync(SlotType(slot), GrainKey, _slotETags[slot], cancellationToken);
            _slotETags[slot] = null;
        }
        DeactivateOnIdle();
    }

    public Task<ShardIndexSummary> Index(ShardPlan plan, CancellationToken cancellationToken)
    {
        if (_shard is not null) throw new InvalidOperationException($"{SideName} shard {GrainKey} is already sealed");
        _plan = plan;
        var buffer = _buffer ?? new ShardLoadBuffer();
        try
        {
            _indexed = buffer.Index(SideName, OtherSideName, IsUserSide ? plan.ItemShards : plan.UserShards, plan.Training.Transform,
                ratings: plan.Training.Model == ModelKind.Gaussian);
        }
        catch (OverflowException e)
        {
            throw new ShardDataException(e.Message);
        }
        _buffer = null;
        return Task.FromResult(new ShardIndexSummary(_indexed.Ids.Length, _indexed.Nonzeros, _indexed.Triplets, buffer.ValidationTriplets));
    }

    public Task<ArrayPayload<int>> Resolve(int fromShard, DataSetKind kind, string[] ids, CancellationToken cancellationToken)
    {
        var indexed = _indexed ?? throw new InvalidOperationException($"{SideName} shard {GrainKey} resolves ids only during the seal");
        var local = new int[ids.Length];
        var found = 0;
        for (var j = 0; j < ids.Length; j++)
        {
            local[j] = indexed.IndexOf(ids[j]);
            if (local[j] >= 0) found++;
        }
        if (kind == DataSetKind.Training)
        {
            if (found != ids.Length) return Task.FromResult<ArrayPayload<int>>(local);   // the caller reports the inconsistency
            _subscriptions.Set(fromShard, kind, local);
        }
        else
        {
            var rows = new int[found];
            var k = 0;
            foreach (var r in local)
            {
                if (r >= 0) rows[k++] = r;
            }
            _subscriptions.Set(fromShard, kind, rows);
        }
        return Task.FromResult<ArrayPayload<int>>(local);
    }

    public Task<string> HostSilo(CancellationToken cancellationToken) =>
        Task.FromResult(ServiceProvider.GetRequiredService<ILocalSiloDetails>().SiloAddress.ToString());

    public async Task<ShardLinkSummary> Link(ShardSet shards, CancellationToken cancellationToken)
    {
        var indexed = _indexed ?? throw new InvalidOperationException($"{SideName} shard {GrainKey} must be indexed before it is linked");
        var plan = _plan!;
        _others = IsUserSide ? shards.Items : shards.Users;
        var shardNumber = plan.Shard;
        var trainingFound = new int[_others.Length][];
        var validationFound = new int[_others.Length][];
        await Task.WhenAll(Enumerable.Range(0, _others.Length).Select(async j =>
        {
            var ids = indexed.OtherIdsOf(j);
            trainingFound[j] = [];
            if (ids.Length > 0)
            {
                var local = await _others[j].Resolve(shardNumber, DataSetKind.Training, ids, cancellationToken);
                trainingFound[j] = local;
                var missing = Array.IndexOf(local, -1);
                if (missing >= 0)
                {
                    throw new ShardStateException($"{OtherSideName} '{ids[missing]}' of {SideName} shard {GrainKey} is not in {OtherSideName} shard {j}: " +
                        "that shard lost part of the upload; upload the data again");
                }
            }
            var validationIds = indexed.ValidationOnlyIdsOf(j);
            validationFound[j] = validationIds.Length == 0 ? []
                : await _others[j].Resolve(shardNumber, DataSetKind.Validation, validationIds, cancellationToken);
        }));

        var layout = indexed.Link(_others.Length, trainingFound, validationFound);
        // A budget job's whole item → group map is for the seal only: the shard keeps its own rows' groups.
        _shard = new SealedShard(plan with { Groups = null }, IsUserSide, indexed.Ids, layout, _subscriptions);
        if (plan.Training.Model == ModelKind.Budget) _shard.Budget = LinkBudget(plan, indexed, layout, validationFound);
        _plan = _shard.Plan;
        _shard.Initialize();
        _version = 0;
        var validation = layout.Validation;
        LogLinked(_logger, GrainKey, _shard.Rows, layout.Rows.Nonzeros, layout.TrainingRows);
        return new ShardLinkSummary(validation.Count, validation.SkippedUnknownUser, validation.SkippedUnknownItem);
    }

    public async Task<long> SaveData(CancellationToken cancellationToken)
    {
        var shard = RequireShard();
        long bytes = 0;
        _dataETag = await _store.WriteAsync(StoreType, GrainKey, (stream, _) =>
        {
            var counting = new CountingStream(stream);
            ShardDataFormat.Write(counting, shard, _others);
            bytes = counting.Written;
            return Task.CompletedTask;
        }, _dataETag, cancellationToken);
        // From here on the shard's own data are persisted and the other side's resolves are in them.
        _indexed = null;
        return bytes;
    }

    // Full batch

    public async Task<HalfStepResult> HalfStep(HalfStepRequest request, CancellationToken cancellationToken)
    {
        var shard = RequireVersion(request.Version - 1, "a half-step");
        var bytes = request.OtherColumnSums is { } sums
            ? await FetchWeightsAsync(shard, request.OtherVersion, sums, cancellationToken)
            : await TakePushesAsync(shard, request.RunToken, request.OtherVersion, cancellationToken);
        double[] columnSums;
        _updating = true;
        try
        {
            shard.Budget?.UseTable(request.GroupTable);
            // Once the rows are being updated the step runs to its end: a half-updated shard would be neither version.
            var failed = shard.HalfStep.Run(CancellationToken.None);
            if (failed >= 0)
            {
                // The parameters are broken: nothing may read them until a checkpoint is restored.
                _version = NoParameters;
                return new HalfStepResult(shard.Side.ColumnSum, shard.Ids[failed], bytes);
            }
            _version = request.Version;
            columnSums = (double[])shard.Side.ColumnSum.Clone();
        }
        finally
        {
            _updating = false;
        }
        if (request.PushRows) PushRows(shard, request.RunToken, request.Version, columnSums);
        return new HalfStepResult(columnSums, null, bytes) { GroupTable = shard.Budget?.NextTable(shard.Side, shard.Threads) };
    }

    public Task AcceptPush(RowPush push, CancellationToken cancellationToken)
    {
        RequireShard();
        Inbox().Accept(push);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Sends every shard of the other side this shard's rows it resolved and the partial column sums, without waiting:
    /// the caller's result and the rows travel at once, so the other side's next step finds them arrived or arriving
    /// rather than asking for them a round trip later. A push that fails leaves its receiver waiting until the
    /// coordinator, which sees the failure through the receiver's call, rolls the job back.
    /// </summary>
    private void PushRows(SealedShard shard, long runToken, long version, double[] columnSums)
    {
        var perMessage = _transfer.RowsPerMessage(shard.K);
        for (var j = 0; j < _others.Length; j++)
        {
            var rows = shard.Subscriptions.TrainingOrEmpty(j);
            if (rows.Length <= perMessage)
            {
                var push = new RowPush(shard.Plan.Shard, runToken, version, columnSums, rows.Length == 0 ? null : Weights(shard, rows, j));
                _ = SendPushAsync(_others[j], j, push);
                continue;
            }
            // More rows than one message takes: in parts, each packed into a buffer of its own that the next push of the
            // same part reuses (the receiver has copied it by then: this side steps again only after the other side's
            // step, which took this push, has ended). At 10M nonzeros fresh arrays were most of a silo's allocations.
            var parts = (rows.Length + perMessage - 1) / perMessage;
            for (var (first, part) = (0, 0); first < rows.Length; first += perMessage, part++)
            {
                var count = Math.Min(rows.Length - first, perMessage);
                var packed = WeightRows.Pack(shard.Side, rows.AsSpan(first, count), PushPartBuffer(j, part, count * shard.K));
                _ = SendPushAsync(_others[j], j, new RowPush(shard.Plan.Shard, runToken, version, columnSums, packed, first, parts));
            }
        }
    }

    private async Task SendPushAsync(IShardGrain receiver, int shard, RowPush push)
    {
        try
        {
            await receiver.AcceptPush(push, CancellationToken.None);
        }
        catch (Exception e)
        {
            LogPushFailed(_logger, e, GrainKey, OtherSideName, shard, push.Version);
        }
    }

    /// <summary>Waits for every shard of the other side to push its rows of <paramref name="otherVersion"/>, then takes them as a fetch would.</summary>
    private async Task<long> TakePushesAsync(SealedShard shard, long runToken, long otherVersion, CancellationToken cancellationToken)
    {
        RowPush[][] pushes;
        // Bounded on this side too: a caller that froze (its silo stopped, not closed) never cancels the call, and a
        // step waiting for ever would hold this shard against the next coordinator's restore. A closing activation
        // (its silo stopping) gives up at once: its shutdown waits for this call.
        // A silo declared dead ends the wait too: rows its shards were to push will not come, and the coordinator (or
        // the one that takes the job over, when the coordinator died with it) rolls back.
        var siloLost = _siloLoss.Token;
        using (var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _siloStopping, siloLost))
        {
            deadline.CancelAfter(_pushWait);
            try
            {
                pushes = await Inbox().WaitAsync(runToken, otherVersion, deadline.Token);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                throw new ShardStateException(
                    _siloStopping.IsCancellationRequested ? $"{SideName} shard {GrainKey} is closing (its silo stops) and no longer waits for the {OtherSideName} shards' rows of version {otherVersion}"
                    : siloLost.IsCancellationRequested ? $"{SideName} shard {GrainKey} stopped waiting for the {OtherSideName} shards' rows of version {otherVersion}: a silo was declared dead"
                    : $"{SideName} shard {GrainKey} waited {_pushWait.TotalSeconds:F0} s for the {OtherSideName} shards' rows of version {otherVersion}");
            }
        }
        var gathered = shard.Gathered;
        var total = gathered.ColumnSum;
        Array.Clear(total);
        long bytes = 0;
        for (var j = 0; j < pushes.Length; j++)
        {
            var parts = pushes[j];
            // Added up in shard order, as the coordinator adds the sums it is sent: the same doubles either way. Every
            // part of a push carries the same sums.
            for (var f = 0; f < total.Length; f++) total[f] += parts[0].ColumnSums[f];
            if (gathered.RowsOf(j) == 0) continue;
            foreach (var part in parts)
            {
                if (part.Rows is null) throw new ShardStateException($"{OtherSideName} shard {j} pushed no rows where {gathered.RowsOf(j)} were resolved");
                bytes += part.Rows.Bytes;
            }
            Fill(j, () => parts.Length == 1 ? gathered.Fill(j, parts[0].Rows!) : gathered.Fill(j, parts));
        }
        return bytes;
    }

    private RowPushInbox Inbox() => LazyInitializer.EnsureInitialized(ref _inbox, () => new RowPushInbox(_others.Length));

    public Task<FetchedRows> FetchRows(RowFetch fetch, CancellationToken cancellationToken)
    {
        var shard = _shard;
        if (shard is null || _updating || _version != fetch.ExpectedVersion)
        {
            throw new ShardStateException($"{SideName} shard {GrainKey} is at version {(_updating ? "(updating)" : _version.ToString())}, " +
                $"a {OtherSideName} shard asked for rows of version {fetch.ExpectedVersion}");
        }
        var k = shard.K;
        var side = shard.Side;
        var training = shard.Subscriptions.TrainingOf(fetch.Subscriber);
        var validation = fetch.Positions is null && fetch.Content == RowContent.Expected ? shard.Subscriptions.ValidationOf(fetch.Subscriber) : [];
        var whole = fetch.Positions is null && fetch.Count < 0;
        if (fetch.Positions is not null) training = Select(training, fetch.Positions);
        else if (!whole) (training, validation) = Slice(training, validation, fetch.Start, fetch.Count);
        switch (fetch.Content)
        {
            case RowContent.Weights:
                // A whole fetch packs into the subscriber's buffer, reused step after step; a part gets an array of its own.
                return Task.FromResult(Weights(shard, training, whole ? fetch.Subscriber : -1));
            case RowContent.Expected:
                var rows = training;
                // A subscriber that needs every row, in order (one shard a side, say), gets this shard's own array: it is
                // read (or, across silos, serialised) before the coordinator lets this side change again.
                var values = whole && validation.Length == 0 && IsIdentity(rows, shard.Rows) ? side.Expected
                    : CopyRows(side.Expected, rows, validation, k, k, new float[(rows.Length + validation.Length) * k]);
                return Task.FromResult(new FetchedRows(values, [], []));
            default:
                var parameters = new float[training.Length * 2 * k];
                for (var i = 0; i < training.Length; i++)
                {
                    side.Shape.AsSpan(training[i] * k, k).CopyTo(parameters.AsSpan(i * 2 * k, k));
                    side.Rate.AsSpan(training[i] * k, k).CopyTo(parameters.AsSpan(i * 2 * k + k, k));
                }
                return Task.FromResult(new FetchedRows(parameters, [], []));
        }
    }

    /// <summary>The fused loop's weights of <paramref name="rows"/>; a full fetch reuses a buffer kept per subscriber, which it reads before it fetches again.</summary>
    private FetchedRows Weights(SealedShard shard, int[] rows, int subscriber) =>
        WeightRows.Pack(shard.Side, rows, subscriber >= 0 ? Buffer(subscriber, rows.Length * shard.K) : null);

    /// <summary>Rows [start, start + count) of the training list followed by the validation list.</summary>
    private static (int[] Training, int[] Validation) Slice(int[] training, int[] validation, int start, int count)
    {
        var end = start + count;
        if (start < 0 || count < 0 || end > training.Length + validation.Length)
            throw new ArgumentOutOfRangeException(nameof(start), $"rows [{start}, {end}) of a list of {training.Length + validation.Length}");
        var t = training.Length;
        return (training[Math.Min(start, t)..Math.Min(end, t)], validation[Math.Max(start - t, 0)..Math.Max(end - t, 0)]);
    }

    private static int[] Select(int[] rows, int[] positions)
    {
        var selected = new int[positions.Length];
        for (var i = 0; i < positions.Length; i++) selected[i] = rows[positions[i]];
        return selected;
    }

    public async Task<CheckResult> Check(CheckRequest request, CancellationToken cancellationToken)
    {
        var shard = RequireVersion(request.Version, "a check");
        if (!IsUserSide) return new CheckResult(0, 0, 0, 0, 0);
        var k = shard.K;
        var layout = shard.Layout;
        if (_expectedTable.Length != layout.ExpectedRows * k) _expectedTable = new float[layout.ExpectedRows * k];
        var bytes = await FetchExpectedAsync(shard, request.OtherVersion, cancellationToken);
        var side = shard.Side;
        var members = side.Members.Count;
        var budget = shard.Budget;
        var train = budget is not null ? BudgetTrainTerm(budget, side, request, shard.Threads)
            : PoissonLikelihood.NonzeroTerm(side.Rows, side.Expected, _expectedTable, k, members, shard.Threads) - shard.SumLogFactorial;
        // The budget model's held-out term is its conditional log-likelihood, given each (user, group) pair's held-out total.
        var validationCount = budget is null || budget.CoversValidation(layout.ExpectedRows) ? layout.Validation.Count : 0;
        var validation = validationCount == 0 ? 0
            : budget is not null ? BudgetValidationTerm(budget, side, layout.Validation, request)
            : PoissonLikelihood.HeldOutSum(layout.Validation, side.Expected, _expectedTable, k, members, shard.Threads);
        double diff = 0;
        if (request.DiffNorm)
        {
            var previous = shard.PreviousExpected;
            for (var j = 0; j < side.Expected.Length; j++)
            {
                double d = side.Expected[j] - previous[j];
                diff += d * d;
            }
            side.Expected.CopyTo(previous, 0);
        }
        return new CheckResult(train, validation, validationCount, diff, bytes);
    }

    public async Task<ElboPart> Elbo(CheckRequest request, CancellationToken cancellationToken)
    {
        var shard = RequireVersion(request.Version, "an ELBO");
        var p = shard.Plan.Training.Priors;
        var side = shard.Side;
        var k = shard.K;
        var rows = IsUserSide
            ? EvidenceLowerBound.RowTerms(side.Shape, side.Rate, side.ActivityRate, side.Members, p.A, p.APrime, p.BPrime)
            : EvidenceLowerBound.RowTerms(side.Shape, side.Rate, side.ActivityRate, side.Members, p.C, p.CPrime, p.DPrime);
        var sums = new double[k];
        for (var j = 0; j < side.Shape.Length; j++) sums[j % k] += (double)side.Shape[j] / side.Rate[j];
        if (!IsUserSide) return new ElboPart(rows, sums);
        // The nonzero term, with the items' E[log] taken in float64 from their parameters as the engine's ELBO does.
        var counterparts = shard.Layout.TrainingRows;
        var otherShape = new float[counterparts * k];
        var otherRate = new float[counterparts * k];
        await Task.WhenAll(Enumerable.Range(0, _others.Length).Where(j => shard.Gathered.RowsOf(j) > 0).Select(async j =>
        {
            var parameters = await FetchAllAsync(j, shard.Plan.Shard, RowContent.Parameters, request.OtherVersion, shard.Gathered.RowsOf(j), 2 * k, cancellationToken);
            var first = shard.Layout.PartStart[j];
            for (var i = 0; i < shard.Gathered.RowsOf(j); i++)
            {
                parameters.AsSpan(i * 2 * k, k).CopyTo(otherShape.AsSpan((first + i) * k, k));
                parameters.AsSpan(i * 2 * k + k, k).CopyTo(otherRate.AsSpan((first + i) * k, k));
            }
        }));
        // Every member's bound has the data's log y! term.
        var nonzeros = EvidenceLowerBound.NonzeroTerm(side.Rows, side.Shape, side.Rate, otherShape, otherRate, side.Members) - side.Members.Count * shard.SumLogFactorial;
        if (shard.Budget is { } budget) nonzeros += BudgetPairTerm(budget, side, request);
        return new ElboPart(rows + nonzeros, sums);
    }

    // SVI

    public async Task<LocalStepResult> LocalStep(LocalStepRequest request, CancellationToken cancellationToken)
    {
        var shard = RequireVersion(request.Version - 1, "an SVI local step");
        var k = shard.K;
        var side = shard.Side;
        if (_epoch is null || _epoch.Epoch != request.Epoch || _epoch.Batches != request.Batches)
            _epoch = new EpochBatches(shard.Plan.Training.Seed, request.Epoch, SideName, shard.Ids, request.Batches);
        var batch = _epoch.RowsOf(request.Batch).ToArray();
        var delta = new double[k];
        if (batch.Length == 0)
        {
            _version = request.Version;
            return new LocalStepResult(delta, 0, null, 0, 0);
        }
        _updating = true;
        try
        {
            var statistics = _statistics ??= new BatchStatistics(side.Members);
            statistics.Collect(side, batch, shard.Layout.TrainingRows, shard.Threads);
            long fetched = 0;
            var partStart = shard.Layout.PartStart;
            await Task.WhenAll(Enumerable.Range(0, _others.Length).Select(async j =>
            {
                var all = statistics.PositionsIn(partStart[j], partStart[j + 1]);
                var perMessage = _transfer.RowsPerMessage(k);
                // A batch touching more rows than one message takes asks for them in parts.
                for (var first = 0; first < all.Length; first += perMessage)
                {
                    var positions = all.Length <= perMessage ? all : all[first..Math.Min(all.Length, first + perMessage)];
                    var rows = await _others[j].FetchRows(new RowFetch(shard.Plan.Shard, RowContent.Weights, request.OtherVersion, positions), cancellationToken);
                    if (!shard.Gathered.FillRows(j, positions, rows)) throw new ShardStateException($"{OtherSideName} shard {j} sent rows that are not finite");
                    Interlocked.Add(ref fetched, rows.Bytes);
                }
            }));
            request.OtherColumnSums.AsSpan().CopyTo(shard.Gathered.ColumnSum);

            var before = new float[batch.Length * k];
            for (var b = 0; b < batch.Length; b++) side.Expected.AsSpan(batch[b] * k, k).CopyTo(before.AsSpan(b * k, k));
            var failed = int.MaxValue;
            Parallel.For(0, batch.Length, new ParallelOptions { MaxDegreeOfParallelism = shard.Threads },
                () => new RowScratch(k, side.Stride),
                (b, _, scratch) =>
                {
                    if (!side.UpdateRow(batch[b], shard.Gathered, scratch))
                    {
                        lock (batch) failed = Math.Min(failed, batch[b]);
                    }
                    return scratch;
                },
                _ => { });
            if (failed != int.MaxValue)
            {
                _version = NoParameters;
                return new LocalStepResult(delta, batch.Length, shard.Ids[failed], fetched, 0);
            }
            for (var b = 0; b < batch.Length; b++)
            {
                var now = side.Expected.AsSpan(batch[b] * k, k);
                for (var f = 0; f < k; f++) delta[f] += (double)now[f] - before[b * k + f];
            }

            statistics.Accumulate(side, shard.Gathered, shard.Threads, cancellationToken);
            long sent = 0;
            await Task.WhenAll(Enumerable.Range(0, _others.Length).Select(async j =>
            {
                var (positions, sums, exactPositions, exact) = statistics.Part(partStart[j], partStart[j + 1]);
                if (positions.Length == 0) return;
                await _others[j].AddStatistics(new StatisticsChunk(request.Step, shard.Plan.Shard, positions, sums, exactPositions, exact), cancellationToken);
                Interlocked.Add(ref sent, sums.Length * sizeof(float) + exact.Length * sizeof(double) + (positions.Length + exactPositions.Length) * sizeof(int));
            }));
            _version = request.Version;
            return new LocalStepResult(delta, batch.Length, null, fetched, sent);
        }
        finally
        {
            _updating = false;
        }
    }

    public Task AddStatistics(StatisticsChunk chunk, CancellationToken cancellationToken)
    {
        RequireShard();
        _pendingStatistics.Add(chunk);
        return Task.CompletedTask;
    }

    public Task<GlobalStepResult> GlobalStep(GlobalStepRequest request, CancellationToken cancellationToken)
    {
        var shard = RequireVersion(request.Version - 1, "an SVI global step");
        var k = shard.K;
        var side = shard.Side;
        var stride = side.Stride;
        // Statistics of this step, added in sender order so the sums do not depend on arrival order.
        var chunks = _pendingStatistics.Where(c => c.Step == request.Step).OrderBy(c => c.FromShard).ToList();
        _pendingStatistics.RemoveAll(c => c.Step <= request.Step);
        // Buffers kept from batch to batch: at 10M nonzeros a batch of a tenth of the items touches 200k users, whose
        // sums made afresh were 51 MB of new pages a batch; their slots are an array over the side's rows.
        if (_globalSlotOf.Length < side.RowCount)
        {
            _globalSlotOf = new int[side.RowCount];
            Array.Fill(_globalSlotOf, -1);
        }
        var slotOf = _globalSlotOf;
        var touched = _globalTouched;
        touched.Clear();
        var sums = _globalSums;
        // The few rows with y·φ computed exactly (products under 1e-30), by slot.
        var exactOf = new Dictionary<int, double[]>();
        try
        {
            foreach (var chunk in chunks)
            {
                var rows = shard.Subscriptions.TrainingOf(chunk.FromShard);
                foreach (var position in chunk.Rows) AddTouched(rows[position]);
                foreach (var position in chunk.ExactRows) AddTouched(rows[position]);
            }
            if (touched.Count > side.RowCount / 16)
            {
                // Most rows touched (a batch of a tenth of the items reaches nearly every user): one scan of the marks
                // finds them in order, as BatchNonzeros does (there, sorting a million indices took as long as a batch's
                // statistics).
                touched.Clear();
                for (var row = 0; row < side.RowCount; row++)
                    if (slotOf[row] != -1) touched.Add(row);
            }
            else
            {
                touched.Sort();
            }
            for (var s = 0; s < touched.Count; s++) slotOf[touched[s]] = s;
            if (_globalSums.Length < touched.Count * stride) _globalSums = sums = new float[touched.Count * stride];
            sums.AsSpan(0, touched.Count * stride).Clear();
            foreach (var chunk in chunks)
            {
                var rows = shard.Subscriptions.TrainingOf(chunk.FromShard);
                for (var i = 0; i < chunk.Rows.Length; i++)
                {
                    var slot = slotOf[rows[chunk.Rows[i]]];
                    // The chunk is [K] per row; the sums are laid out as weights (each member in its own registers).
                    var target = sums.AsSpan(slot * stride, stride);
                    var source = chunk.Statistics.AsSpan(i * k, k);
                    for (var m = 0; m < side.Members.Count; m++)
                    {
                        var part = side.Members.WeightsOf(target, m)[..side.Members.FactorCount(m)];
                        System.Numerics.Tensors.TensorPrimitives.Add(part, side.Members.FactorsOf(source, m), part);
                    }
                }
                for (var i = 0; i < chunk.ExactRows.Length; i++)
                {
                    var slot = slotOf[rows[chunk.ExactRows[i]]];
                    if (!exactOf.TryGetValue(slot, out var exact)) exactOf[slot] = exact = new double[k];
                    for (var f = 0; f < k; f++) exact[f] += chunk.Exact[i * k + f];
                }
            }
        }
        finally
        {
            // Untouched again for the next batch, whatever happened to this one.
            foreach (var row in touched) slotOf[row] = -1;
        }

        var perRow = shard.Plan.Training.StepSchedule == StepSchedule.PerRow;
        var step = StepSize.From(shard.Plan.Training);
        var delta = new double[k];
        var failed = GlobalRowStep.StepRows(side, touched, shard.Threads, (g, worker) =>
        {
            var o = touched[g];
            var rho = perRow ? step.At(++shard.RowSteps[o]) : request.Rho;
            return GlobalRowStep.StepTowards(side, o, sums.AsSpan(g * stride, stride), exactOf.TryGetValue(g, out var exact) ? exact : default, request.Scale, rho,
                request.OtherColumnSums, worker.Scratch);
        }, delta, ref _globalStepChunkSums, cancellationToken);
        if (failed >= 0)
        {
            _version = NoParameters;
            return Task.FromResult(new GlobalStepResult(new double[k], touched.Count, shard.Ids[failed]));
        }
        _version = request.Version;
        return Task.FromResult(new GlobalStepResult(delta, touched.Count, null));

        void AddTouched(int row)
        {
            if (slotOf[row] != -1) return;
            slotOf[row] = 0;
            touched.Add(row);
        }
    }

    public Task<double[]> ColumnSums(CancellationToken cancellationToken)
    {
        var shard = RequireParameters();
        shard.Side.RecomputeColumnSums();
        return Task.FromResult((double[])shard.Side.ColumnSum.Clone());
    }

    // Checkpoints and the model

    public async Task<CheckpointResult> WriteCheckpoint(CheckpointRequest request, CancellationToken cancellationToken)
    {
        var shard = RequireVersion(request.Version, "a checkpoint");
        var clock = Stopwatch.StartNew();
        long bytes = 0;
        _slotETags[request.Slot] = await _store.WriteAsync(SlotType(request.Slot), GrainKey, (stream, _) =>
        {
            var counting = new CountingStream(stream);
            if (IsGaussianJob) WriteGaussianCheckpoint(counting, shard, request);
            else ShardCheckpointFormat.Write(counting, shard, request.Iteration, request.Version, request.StepCounter);
            bytes = counting.Written;
            return Task.CompletedTask;
        }, _slotETags[request.Slot], cancellationToken);
        LogCheckpoint(_logger, GrainKey, request.Iteration, request.Slot, bytes, clock.Elapsed.TotalMilliseconds);
        // A Gaussian job's model is served from the local store, not by the shards (RequireServed says so).
        if (IsGaussianJob) return new CheckpointResult(bytes, clock.Elapsed.TotalSeconds);
        if (request.Slot == CheckpointRequest.FinalSlot) ServeFinal(shard, request.Iteration);
        else ServeCheckpoint(shard, request.Iteration);
        return new CheckpointResult(bytes, clock.Elapsed.TotalSeconds);
    }

    public async Task RestoreCheckpoint(CheckpointRequest request, ShardSet shards, CancellationToken cancellationToken)
    {
        var shard = RequireShard();
        _others = IsUserSide ? shards.Items : shards.Users;
        _pendingStatistics.Clear();
        _inbox?.Clear();
        _epoch = null;
        if (request.Iteration == 0 && request.Slot != CheckpointRequest.FinalSlot)
        {
            shard.Initialize();
            ResetGaussian();
            _version = 0;
            return;
        }
        await ReadSlotAsync(request.Slot, request.Iteration, cancellationToken);
        if (_version != request.Version)
            throw new ShardStateException($"{SideName} shard {GrainKey}'s checkpoint slot {request.Slot} is at version {_version}, not {request.Version}");
    }

    public Task<ShardRows> ModelRows(int start, int count, CancellationToken cancellationToken)
    {
        var shard = RequireParameters();
        var k = shard.K;
        var side = shard.Side;
        start = Math.Clamp(start, 0, shard.Rows);
        count = Math.Clamp(count, 0, shard.Rows - start);
        return Task.FromResult(new ShardRows(shard.Rows, shard.Ids[start..(start + count)],
            side.Shape.AsSpan(start * k, count * k).ToArray(), side.Rate.AsSpan(start * k, count * k).ToArray(),
            side.ActivityRate.AsSpan(start * side.Members.Count, count * side.Members.Count).ToArray()));
    }

    public Task<ShardNonzeros> TrainingRows(int start, int count, CancellationToken cancellationToken)
    {
        if (!IsUserSide) throw new InvalidOperationException("the training set is read from user shards");
        var shard = RequireParameters();
        var layout = shard.Layout;
        var rows = layout.Rows;
        start = Math.Clamp(start, 0, shard.Rows);
        count = Math.Clamp(count, 0, shard.Rows - start);
        var first = rows.RowStart[start];
        var nonzeros = rows.RowStart[start + count] - first;
        var lengths = new int[count];
        var itemShards = new int[nonzeros];
        var itemLocals = new int[nonzeros];
        for (var r = 0; r < count; r++) lengths[r] = rows.Length(start + r);
        for (var n = 0; n < nonzeros; n++)
        {
            // A nonzero points at its item's row in the gathered table, whose parts are the item shards.
            var gathered = rows.Other[first + n];
            itemShards[n] = layout.PartOf(gathered);
            itemLocals[n] = layout.CounterpartLocal[gathered];
        }
        return Task.FromResult(new ShardNonzeros(shard.Rows, shard.Ids[start..(start + count)], lengths, itemShards, itemLocals,
            rows.Counts.AsSpan(first, nonzeros).ToArray()));
    }

    /// <returns>The iteration the slot holds.</returns>
    private async Task<int> ReadSlotAsync(int slot, int? expectedIteration, CancellationToken cancellationToken)
    {
        var shard = RequireShard();
        var iteration = -1;
        long version = NoParameters;
        _version = NoParameters;
        var etag = await _store.ReadAsync(SlotType(slot), GrainKey, (stream, _) =>
        {
            if (IsGaussianJob) (iteration, version) = ReadGaussianCheckpoint(stream, shard);
            else (iteration, version, var _) = ShardCheckpointFormat.Read(stream, shard);
            return Task.CompletedTask;
        }, cancellationToken);
        if (etag is null) throw new ShardStateException($"{SideName} shard {GrainKey} has no checkpoint in slot {slot}");
        _slotETags[slot] = etag;
        if (expectedIteration is { } wanted && iteration != wanted)
            throw new ShardStateException($"{SideName} shard {GrainKey}'s checkpoint slot {slot} holds iteration {iteration}, not {wanted}");
        if (!IsGaussianJob && !shard.RefreshAll()) throw new ShardStateException($"{SideName} shard {GrainKey}'s checkpoint slot {slot} holds parameters that are not finite");
        _version = version;
        return iteration;
    }

    private async Task<long> FetchWeightsAsync(SealedShard shard, long otherVersion, double[] otherColumnSums, CancellationToken cancellationToken)
    {
        long bytes = 0;
        var gathered = shard.Gathered;
        await Task.WhenAll(Enumerable.Range(0, _others.Length).Where(j => gathered.RowsOf(j) > 0).Select(async j =>
        {
            var count = gathered.RowsOf(j);
            var perMessage = _transfer.RowsPerMessage(shard.K);
            if (count <= perMessage)
            {
                var rows = await _others[j].FetchRows(new RowFetch(shard.Plan.Shard, RowContent.Weights, otherVersion, null), cancellationToken);
                Fill(j, () => gathered.Fill(j, rows));
                Interlocked.Add(ref bytes, rows.Bytes);
                return;
            }
            for (var first = 0; first < count; first += perMessage)
            {
                var positions = Enumerable.Range(first, Math.Min(perMessage, count - first)).ToArray();
                var rows = await _others[j].FetchRows(new RowFetch(shard.Plan.Shard, RowContent.Weights, otherVersion, null, first, positions.Length), cancellationToken);
                if (!gathered.FillRows(j, positions, rows)) throw new ShardStateException($"{OtherSideName} shard {j} sent rows that are not finite");
                Interlocked.Add(ref bytes, rows.Bytes);
            }
        }));
        otherColumnSums.AsSpan().CopyTo(gathered.ColumnSum);
        return bytes;
    }

    /// <summary>Runs one of <see cref="GatheredRows"/>' fills for the rows of <paramref name="part"/>, its complaints as the shard's.</summary>
    private void Fill(int part, Func<bool> fill)
    {
        bool finite;
        try
        {
            finite = fill();
        }
        catch (InvalidOperationException e)
        {
            throw new ShardStateException(e.Message);
        }
        if (!finite) throw new ShardStateException($"{OtherSideName} shard {part} sent rows that are not finite");
    }

    private async Task<long> FetchExpectedAsync(SealedShard shard, long otherVersion, CancellationToken cancellationToken)
    {
        long bytes = 0;
        var layout = shard.Layout;
        var k = shard.K;
        await Task.WhenAll(Enumerable.Range(0, _others.Length).Select(async j =>
        {
            var training = layout.PartStart[j + 1] - layout.PartStart[j];
            var validation = layout.ValidationStart[j + 1] - layout.ValidationStart[j];
            if (training + validation == 0) return;
            var rows = await FetchAllAsync(j, shard.Plan.Shard, RowContent.Expected, otherVersion, training + validation, k, cancellationToken);
            if (rows.Length != (training + validation) * k)
                throw new ShardStateException($"{OtherSideName} shard {j} sent {rows.Length / k} rows of E[x] where {training + validation} were resolved");
            rows.AsSpan(0, training * k).CopyTo(_expectedTable.AsSpan(layout.PartStart[j] * k));
            rows.AsSpan(training * k).CopyTo(_expectedTable.AsSpan(layout.ValidationStart[j] * k));
            Interlocked.Add(ref bytes, rows.Length * sizeof(float));
        }));
        return bytes;
    }

    /// <summary>
    /// Every row shard <paramref name="j"/> of the other side has for this shard, as one array: in one message, or in
    /// ranges of rows when they are more than one message takes.
    /// </summary>
    private async Task<float[]> FetchAllAsync(int j, int subscriber, RowContent content, long version, int rows, int floatsPerRow, CancellationToken cancellationToken)
    {
        var perMessage = _transfer.RowsPerMessage(floatsPerRow);
        if (rows <= perMessage) return (await _others[j].FetchRows(new RowFetch(subscriber, content, version, null), cancellationToken)).Values;
        var all = GC.AllocateUninitializedArray<float>(rows * floatsPerRow);
        for (var first = 0; first < rows; first += perMessage)
        {
            var count = Math.Min(perMessage, rows - first);
            var part = (await _others[j].FetchRows(new RowFetch(subscriber, content, version, null, first, count), cancellationToken)).Values;
            if (part.Length != count * floatsPerRow)
                throw new ShardStateException($"{OtherSideName} shard {j} sent {part.Length / floatsPerRow} rows where {count} were asked for");
            part.AsSpan().CopyTo(all.AsSpan(first * floatsPerRow));
        }
        return all;
    }

    /// <summary>
    /// The buffer a full fetch is copied into, one per subscriber and content, reused: the subscriber reads it before
    /// it fetches again, and a call across silos serialises it before this shard can be asked for the same rows.
    /// </summary>
    private float[] Buffer(int key, int length)
    {
        if (!_fetchBuffers.TryGetValue(key, out var buffer) || buffer.Length != length)
        {
            buffer = new float[length];
            _fetchBuffers[key] = buffer;
        }
        return buffer;
    }

    private float[] PushPartBuffer(int receiver, int part, int length)
    {
        if (!_pushPartBuffers.TryGetValue((receiver, part), out var buffer) || buffer.Length != length)
        {
            buffer = new float[length];
            _pushPartBuffers[(receiver, part)] = buffer;
        }
        return buffer;
    }

    private static bool IsIdentity(int[] rows, int count)
    {
        if (rows.Length != count) return false;
        for (var r = 0; r < rows.Length; r++)
        {
            if (rows[r] != r) return false;
        }
        return true;
    }

    /// <summary>K values of each listed row of <paramref name="source"/> (rows <paramref name="stride"/> apart), packed.</summary>
    private static float[] CopyRows(float[] source, int[] first, int[] second, int stride, int k, float[] destination)
    {
        for (var i = 0; i < first.Length; i++) source.AsSpan(first[i] * stride, k).CopyTo(destination.AsSpan(i * k, k));
        for (var i = 0; i < second.Length; i++) source.AsSpan(second[i] * stride, k).CopyTo(destination.AsSpan((first.Length + i) * k, k));
        return destination;
    }

    private SealedShard RequireShard() => _shard ?? throw new ShardStateException($"{SideName} shard {GrainKey} holds no sealed data");

    private SealedShard RequireParameters()
    {
        var shard = RequireShard();
        return _version == NoParameters ? throw new ShardStateException($"{SideName} shard {GrainKey} has no parameters loaded (restore a checkpoint first)") : shard;
    }

    private SealedShard RequireVersion(long version, string what)
    {
        var shard = RequireShard();
        if (_version != version)
            throw new ShardStateException($"{SideName} shard {GrainKey} is at version {_version}, {what} expected {version}");
        return shard;
    }

    private IShardGrain OtherShard(string key) => IsUserSide
        ? GrainFactory.GetGrain<IItemShardGrain>(key)
        : GrainFactory.GetGrain<IUserShardGrain>(key);

    private string SlotType(int slot) => ShardCheckpointFormat.SlotType(StoreType, slot);

    [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "Shard {Shard} sealed: {Rows} rows, {Nonzeros} nonzeros, {Counterparts} counterpart rows to fetch")]
    private static partial void LogLinked(ILogger logger, string shard, int rows, int nonzeros, int counterparts);

    [LoggerMessage(EventId = 302, Level = LogLevel.Debug, Message = "Shard {Shard} could not push version {Version} to {Side} shard {Receiver}; its step waits until the coordinator rolls back")]
    private static partial void LogPushFailed(ILogger logger, Exception exception, string shard, string side, int receiver, long version);

    [LoggerMessage(EventId = 301, Level = LogLevel.Debug, Message = "Shard {Shard} wrote iteration {Iteration} to slot {Slot}: {Bytes} bytes in {Milliseconds:F0} ms")]
    private static partial void LogCheckpoint(ILogger logger, string shard, int iteration, int slot, long bytes, double milliseconds);
}
