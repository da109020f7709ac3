using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Hpf.Cluster.Runtime.Membership;

/// <summary>
/// Runs the membership protocol for the local silo: joins (Joining, then Active), heart-beats, reads the table
/// periodically, suspects silos whose heartbeat stopped, declares them dead once enough live silos agree, and
/// notices when it has itself been declared dead. Every write is optimistic and retried after a re-read, so
/// concurrent voters never overwrite each other's votes.
/// </summary>
/// <remarks>
/// Staleness is judged on the voter's own monotonic clock (how long since it last saw a silo's IAmAlive value
/// change), never by comparing another machine's timestamp with ours, so clock skew between machines cannot
/// get a live silo killed. <see cref="StopAsync"/> leaves gracefully; <see cref="DisposeAsync"/> alone stops
/// without writing anything, which is what a crash looks like to the others.
/// </remarks>
public sealed partial class MembershipAgent : IHostedService, IClusterMembershipView, IAsyncDisposable
{
    private const int MaxOwnRowAttempts = 20;

    private readonly IMembershipTable _table;
    private readonly LocalSilo _local;
    private readonly MembershipOptions _options;
    private readonly ILogger<MembershipAgent> _logger;
    private readonly TimeProvider _time;
    private readonly CancellationTokenSource _loops = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _roundGate = new(1, 1);
    private readonly Dictionary<SiloAddress, HeartbeatObservation> _observations = [];
    private readonly Lock _viewGate = new();
    private ClusterMembershipSnapshot _snapshot = ClusterMembershipSnapshot.Empty;
    private TaskCompletionSource<ClusterMembershipSnapshot> _nextChange = NewChangeSource();
    private Task _heartbeatLoop = Task.CompletedTask;
    private Task _refreshLoop = Task.CompletedTask;
    private volatile bool _joined;
    private volatile bool _leaving;
    private volatile bool _declaredDead;
    private int _disposed;

    public MembershipAgent(
        IMembershipTable table,
        LocalSilo local,
        IOptions<MembershipOptions> options,
        ILogger<MembershipAgent> logger,
        TimeProvider? timeProvider = null)
    {
        _table = table;
        _local = local;
        _options = options.Value;
        _options.Validate();
        _logger = logger;
        _time = timeProvider ?? TimeProvider.System;
    }

    public SiloAddress Self => _local.Address;

    public ClusterMembershipSnapshot Snapshot => Volatile.Read(ref _snapshot);

    public IReadOnlyList<SiloAddress> ActiveSilos => Snapshot.ActiveSilos;

    public long Version => Snapshot.Version;

    /// <summary>True once this silo read its own row as Dead (or superseded): it has stopped heart-beating.</summary>
    public bool IsDeclaredDead => _declaredDead;

    /// <summary>Cancelled when this silo leaves or finds itself declared dead: the host should stop.</summary>
    public CancellationToken SiloStopping => _stopping.Token;

    public event EventHandler<ClusterMembershipChange>? Changed;

    /// <summary>Raised once when this silo reads itself declared dead by the others.</summary>
    public event EventHandler? SelfDeclaredDead;

    public async Task<ClusterMembershipSnapshot> WaitForChangeAsync(long afterVersion, CancellationToken cancellationToken)
    {
        while (true)
        {
            // Take the pending change before looking at the snapshot: a change published in between is then
            // either visible in the snapshot or completes the task we hold.
            var next = Volatile.Read(ref _nextChange);
            var current = Snapshot;
            if (current.Version > afterVersion) return current;
            await next.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Joins the cluster: inserts this silo as Joining, declares older generations at the same endpoint dead,
    /// becomes Active, and starts heart-beating and refreshing. Start the silo's listener before this, since
    /// others may route to it as soon as it is Active.
    /// </summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        await _table.InitializeAsync(cancellationToken).ConfigureAwait(false);
        await InsertSelfAsync(cancellationToken).ConfigureAwait(false);
        _heartbeatLoop = Task.Run(() => HeartbeatLoopAsync(_loops.Token), CancellationToken.None);
        await RetireOlderGenerationsAsync(cancellationToken).ConfigureAwait(false);
        await UpdateOwnRowAsync(entry => entry with { Status = SiloStatus.Active }, cancellationToken).ConfigureAwait(false);
        if (_declaredDead) return;
        _joined = true;
        LogJoined(Self, _table.ClusterId);
        await RefreshAsync(cancellationToken).ConfigureAwait(false);
        _refreshLoop = Task.Run(() => RefreshLoopAsync(_loops.Token), CancellationToken.None);
    }

    /// <summary>
    /// Marks this silo ShuttingDown so placement stops choosing it, while it keeps heart-beating; the host
    /// can then deactivate its grains before <see cref="StopAsync"/>.
    /// </summary>
    public async Task BeginLeaveAsync(CancellationToken cancellationToken)
    {
        if (!_joined || _declaredDead || _leaving) return;
        _leaving = true;
        await UpdateOwnRowAsync(entry => entry with { Status = SiloStatus.ShuttingDown }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Leaves gracefully: ShuttingDown, then Dead, so the others drop this silo at once instead of voting.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (!_joined || _declaredDead)
        {
            await StopLoopsAsync().ConfigureAwait(false);
            return;
        }
        try
        {
            await BeginLeaveAsync(cancellationToken).ConfigureAwait(false);
            await StopLoopsAsync().ConfigureAwait(false);
            await UpdateOwnRowAsync(entry => entry with { Status = SiloStatus.Dead }, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The host's stop ran out of time (grains were slow to deactivate): the others vote this silo out instead.
            await StopLoopsAsync().ConfigureAwait(false);
            LogLeaveCutShort(Self);
            return;
        }
        _joined = false;
        LogLeft(Self, _table.ClusterId);
        CancelStopping();
    }

    /// <summary>
    /// One protocol round: read the table, update the view, vote against silos with a stale heartbeat, and check
    /// that this silo is still alive. Runs on a timer; callers may also run it, e.g. after a failed call to a silo.
    /// </summary>
    public async Task RefreshAsync(CancellationToken cancellationToken)
    {
        await _roundGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            for (var attempt = 0; attempt < _options.MaxWriteAttempts && !_declaredDead; attempt++)
            {
                var table = await _table.ReadAllAsync(cancellationToken).ConfigureAwait(false);
                if (IsSelfDead(table))
                {
                    await OnFoundSelfDeadAsync().ConfigureAwait(false);
                    return;
                }
                Observe(table);
                Publish(table);
                var vote = NextVote(table);
                if (vote is null) return;
                var written = await _table.UpdateRowAsync(vote.Entry, vote.RowETag, table.Version, cancellationToken).ConfigureAwait(false);
                if (!written)
                {
                    LogWriteConflict(Self, vote.Entry.SiloAddress);
                    continue;
                }
                if (vote.Entry.Status == SiloStatus.Dead)
                    LogDeclaredDead(Self, vote.Entry.SiloAddress, vote.Votes);
                else
                    LogSuspected(Self, vote.Entry.SiloAddress, vote.Unchanged, vote.Votes, vote.Needed);
            }
        }
        finally
        {
            _roundGate.Release();
        }
    }

    /// <summary>Stops heart-beating and refreshing without writing anything: to the others this is a crash.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await StopLoopsAsync().ConfigureAwait(false);
        _loops.Dispose();
        _stopping.Dispose();
        _roundGate.Dispose();
    }

    private async Task InsertSelfAsync(CancellationToken cancellationToken)
    {
        var entry = MembershipEntry.Joining(Self, _local.Name, _time.GetUtcNow());
        for (var attempt = 0; attempt < MaxOwnRowAttempts; attempt++)
        {
            var table = await _table.ReadAllAsync(cancellationToken).ConfigureAwait(false);
            if (table.Find(Self) is not null)
                throw new InvalidOperationException($"Silo {Self} already has a row in cluster '{_table.ClusterId}'; a generation joins once.");
            if (await _table.InsertRowAsync(entry, table.Version, cancellationToken).ConfigureAwait(false)) return;
            await BackOffAsync(cancellationToken).ConfigureAwait(false);
        }
        throw new InvalidOperationException($"Silo {Self} could not join cluster '{_table.ClusterId}': the table kept changing under it.");
    }

    /// <summary>A silo restarted at the same endpoint replaces its previous generation, which cannot be alive any more.</summary>
    private async Task RetireOlderGenerationsAsync(CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MaxOwnRowAttempts; attempt++)
        {
            var table = await _table.ReadAllAsync(cancellationToken).ConfigureAwait(false);
            var older = table.Rows.FirstOrDefault(row => row.Entry.SiloAddress.IsSameEndpoint(Self)
                && row.Entry.SiloAddress.Generation < Self.Generation
                && row.Entry.Status != SiloStatus.Dead);
            if (older is null) return;
            if (await _table.UpdateRowAsync(older.Entry with { Status = SiloStatus.Dead }, older.ETag, table.Version, cancellationToken)
                    .ConfigureAwait(false))
                LogRetiredOlderGeneration(Self, older.Entry.SiloAddress);
            else
                await BackOffAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task UpdateOwnRowAsync(Func<MembershipEntry, MembershipEntry> change, CancellationToken cancellationToken)
    {
        for (var attempt = 0; attempt < MaxOwnRowAttempts; attempt++)
        {
            var table = await _table.ReadRowAsync(Self, cancellationToken).ConfigureAwait(false);
            var row = table.Find(Self)
                ?? throw new InvalidOperationException($"Silo {Self} has no row in cluster '{_table.ClusterId}'.");
            if (row.Entry.Status == SiloStatus.Dead)
            {
                // Voted dead while joining or leaving: nothing of ours may be written over that.
                await OnFoundSelfDeadAsync().ConfigureAwait(false);
                return;
            }
            var updated = change(row.Entry) with { IAmAliveTime = _time.GetUtcNow() };
            if (await _table.UpdateRowAsync(updated, row.ETag, table.Version, cancellationToken).ConfigureAwait(false)) return;
            await BackOffAsync(cancellationToken).ConfigureAwait(false);
        }
        throw new InvalidOperationException($"Silo {Self} could not update its row in cluster '{_table.ClusterId}': the table kept changing under it.");
    }

    /// <summary>True when the table has this silo dead, or replaced by a newer generation at its endpoint.</summary>
    private bool IsSelfDead(MembershipTableSnapshot table)
    {
        if (!_joined) return false;
        var own = table.Find(Self);
        var superseded = table.Rows.Any(row => row.Entry.SiloAddress.IsSameEndpoint(Self)
            && row.Entry.SiloAddress.Generation > Self.Generation
            && row.Entry.Status != SiloStatus.Dead);
        return own is null || own.Entry.Status == SiloStatus.Dead || superseded;
    }

    private async Task OnFoundSelfDeadAsync()
    {
        if (_declaredDead) return;
        _declaredDead = true;
        _joined = false;
        LogFoundSelfDead(Self, _table.ClusterId);
        // Heartbeats stop before anyone is told, including one already under way: a dead silo that kept
        // heart-beating would look alive to anyone reading IAmAlive.
        await _loops.CancelAsync().ConfigureAwait(false);
        await _heartbeatLoop.ConfigureAwait(false);
        // The token first, so that whoever the event wakes already sees the silo stopping.
        CancelStopping();
        SelfDeclaredDead?.Invoke(this, EventArgs.Empty);
    }

    private void Observe(MembershipTableSnapshot table)
    {
        var now = _time.GetTimestamp();
        var present = new HashSet<SiloAddress>();
        foreach (var row in table.Rows)
        {
            var silo = row.Entry.SiloAddress;
            present.Add(silo);
            if (!_observations.TryGetValue(silo, out var seen) || seen.IAmAlive != row.Entry.IAmAliveTime)
                _observations[silo] = new HeartbeatObservation(row.Entry.IAmAliveTime, now);
        }
        foreach (var gone in _observations.Keys.Where(silo => !present.Contains(silo)).ToList())
            _observations.Remove(gone);
    }

    /// <summary>The first write this silo owes the table: a vote, or a death verdict, against a stale silo.</summary>
    private PendingVote? NextVote(MembershipTableSnapshot table)
    {
        var own = table.Find(Self);
        // Only an active silo votes: one still joining has not watched the others long enough, one leaving no longer cares.
        if (own is null || own.Entry.Status != SiloStatus.Active) return null;
        var now = _time.GetUtcNow();
        var live = table.Rows.Where(row => row.Entry.Status != SiloStatus.Dead).Select(row => row.Entry.SiloAddress).ToHashSet();
        foreach (var row in table.Rows)
        {
            var suspect = row.Entry;
            if (suspect.Status == SiloStatus.Dead || suspect.SiloAddress == Self) continue;
            var unchanged = _time.GetElapsedTime(_observations[suspect.SiloAddress].ObservedAt);
            if (unchanged <= _options.DeathTimeout) continue;

            var votes = suspect.Suspicions
                .Where(s => s.Suspecter != Self && live.Contains(s.Suspecter) && now - s.Time <= _options.SuspicionExpiry)
                .GroupBy(s => s.Suspecter)
                .Select(group => group.MaxBy(s => s.Time)!)
                .Append(new SiloSuspicion(Self, now))
                .ToList();
            // Only silos still heart-beating count towards the votes needed: a stale one cannot vote, and counting it
            // would leave the survivor of a majority loss (two of three killed at once) short of votes for ever.
            var othersActive = table.Rows.Count(r => r.Entry.Status == SiloStatus.Active && r.Entry.SiloAddress != suspect.SiloAddress
                && (r.Entry.SiloAddress == Self || _time.GetElapsedTime(_observations[r.Entry.SiloAddress].ObservedAt) <= _options.DeathTimeout));
            var needed = Math.Clamp(_options.NumVotesForDeath, 1, Math.Max(1, othersActive));
            if (votes.Count >= needed)
                return new PendingVote(suspect with { Status = SiloStatus.Dead, Suspicions = votes }, row.ETag, votes.Count, needed, unchanged);
            var alreadyVoted = suspect.Suspicions.Any(s => s.Suspecter == Self && now - s.Time <= _options.SuspicionExpiry);
            if (!alreadyVoted)
                return new PendingVote(suspect with { Suspicions = votes }, row.ETag, votes.Count, needed, unchanged);
        }
        return null;
    }

    private void Publish(MembershipTableSnapshot table)
    {
        var active = table.Rows
            .Where(row => row.Entry.Status == SiloStatus.Active)
            .Select(row => row.Entry.SiloAddress)
            .Order()
            .ToArray();
        ClusterMembershipChange change;
        lock (_viewGate)
        {
            var current = _snapshot;
            if (table.Version.Version <= current.Version || (current.Version >= 0 && current.ActiveSilos.SequenceEqual(active)))
                return;
            var next = new ClusterMembershipSnapshot(table.Version.Version, active);
            change = new ClusterMembershipChange(
                next,
                active.Except(current.ActiveSilos).ToArray(),
                current.ActiveSilos.Except(active).ToArray());
            Volatile.Write(ref _snapshot, next);
            var waiting = Interlocked.Exchange(ref _nextChange, NewChangeSource());
            waiting.TrySetResult(next);
        }
        LogViewChanged(Self, change.Snapshot.Version, active.Length, change.Added.Count, change.Removed.Count);
        Changed?.Invoke(this, change);
    }

    private async Task HeartbeatLoopAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.HeartbeatInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    await _table.UpdateIAmAliveAsync(Self, _time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
                }
                catch (Exception error) when (error is not OperationCanceledException)
                {
                    LogHeartbeatFailed(error, Self);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped.
        }
    }

    private async Task RefreshLoopAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(_options.TableRefreshInterval, _time);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                try
                {
                    await RefreshAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (Exception error) when (error is not OperationCanceledException)
                {
                    LogRefreshFailed(error, Self);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped.
        }
    }

    private async Task StopLoopsAsync()
    {
        if (!_loops.IsCancellationRequested) await _loops.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_heartbeatLoop, _refreshLoop).ConfigureAwait(false);
    }

    private void CancelStopping()
    {
        if (!_stopping.IsCancellationRequested) _stopping.Cancel();
    }

    private Task BackOffAsync(CancellationToken cancellationToken) =>
        // A short random pause so silos that collided do not collide again in lock step.
        Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(5, 50)), _time, cancellationToken);

    private static TaskCompletionSource<ClusterMembershipSnapshot> NewChangeSource() =>
        new(TaskCreationOptions.RunContinuationsAsynchronously);

    private sealed record HeartbeatObservation(DateTimeOffset IAmAlive, long ObservedAt);

    private sealed record PendingVote(MembershipEntry Entry, string RowETag, int Votes, int Needed, TimeSpan Unchanged);

    [LoggerMessage(EventId = 1010, Level = LogLevel.Information, Message = "Silo {Silo} joined cluster {ClusterId}")]
    private partial void LogJoined(SiloAddress silo, string clusterId);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Warning, Message = "Silo {Self} suspects {Silo}: its heartbeat has not changed for {Unchanged}; {Votes} of {Needed} votes")]
    private partial void LogSuspected(SiloAddress self, SiloAddress silo, TimeSpan unchanged, int votes, int needed);

    [LoggerMessage(EventId = 1012, Level = LogLevel.Warning, Message = "Silo {Self} declared {Silo} dead with {Votes} votes")]
    private partial void LogDeclaredDead(SiloAddress self, SiloAddress silo, int votes);

    [LoggerMessage(EventId = 1013, Level = LogLevel.Error, Message = "Silo {Silo} found itself declared dead in cluster {ClusterId}; stopping")]
    private partial void LogFoundSelfDead(SiloAddress silo, string clusterId);

    [LoggerMessage(EventId = 1020, Level = LogLevel.Warning, Message = "Silo {Silo} stopped before it could mark itself dead; the others will vote it out")]
    private partial void LogLeaveCutShort(SiloAddress silo);

    [LoggerMessage(EventId = 1014, Level = LogLevel.Information, Message = "Silo {Silo} left cluster {ClusterId}")]
    private partial void LogLeft(SiloAddress silo, string clusterId);

    [LoggerMessage(EventId = 1015, Level = LogLevel.Information, Message = "Membership view of {Self} at version {Version}: {Count} active silos, {Added} added, {Removed} removed")]
    private partial void LogViewChanged(SiloAddress self, long version, int count, int added, int removed);

    [LoggerMessage(EventId = 1016, Level = LogLevel.Warning, Message = "Silo {Silo} could not write its heartbeat")]
    private partial void LogHeartbeatFailed(Exception error, SiloAddress silo);

    [LoggerMessage(EventId = 1017, Level = LogLevel.Warning, Message = "Silo {Silo} could not refresh its membership view")]
    private partial void LogRefreshFailed(Exception error, SiloAddress silo);

    [LoggerMessage(EventId = 1018, Level = LogLevel.Debug, Message = "Silo {Self} lost a write about {Silo} to a concurrent writer; re-reading")]
    private partial void LogWriteConflict(SiloAddress self, SiloAddress silo);

    [LoggerMessage(EventId = 1019, Level = LogLevel.Information, Message = "Silo {Self} declared its previous generation {Silo} dead")]
    private partial void LogRetiredOlderGeneration(SiloAddress self, SiloAddress silo);
}
