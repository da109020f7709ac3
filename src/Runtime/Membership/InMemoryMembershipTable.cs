namespace Hpf.Cluster.Runtime.Membership;

/// <summary>
/// Membership table in process memory, for unit tests of the protocol only: it has the same optimistic
/// semantics as the SQL tables but nothing outlives the process or is shared between processes.
/// </summary>
public sealed class InMemoryMembershipTable(string clusterId) : IMembershipTable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<SiloAddress, MembershipRow> _rows = [];
    private TableVersion _version = new(0, NewETag());

    public string ClusterId { get; } = clusterId;

    public Task InitializeAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<MembershipTableSnapshot> ReadAllAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
            return Task.FromResult(new MembershipTableSnapshot(_rows.Values.ToArray(), _version));
    }

    public Task<MembershipTableSnapshot> ReadRowAsync(SiloAddress address, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            MembershipRow[] rows = _rows.TryGetValue(address, out var row) ? [row] : [];
            return Task.FromResult(new MembershipTableSnapshot(rows, _version));
        }
    }

    public Task<bool> InsertRowAsync(MembershipEntry entry, TableVersion expectedVersion, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            if (_version != expectedVersion || _rows.ContainsKey(entry.SiloAddress)) return Task.FromResult(false);
            _rows[entry.SiloAddress] = new MembershipRow(entry, NewETag());
            Bump();
            return Task.FromResult(true);
        }
    }

    public Task<bool> UpdateRowAsync(MembershipEntry entry, string rowETag, TableVersion expectedVersion, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            if (_version != expectedVersion
                || !_rows.TryGetValue(entry.SiloAddress, out var current)
                || current.ETag != rowETag)
                return Task.FromResult(false);
            var aliveAt = entry.IAmAliveTime > current.Entry.IAmAliveTime ? entry.IAmAliveTime : current.Entry.IAmAliveTime;
            _rows[entry.SiloAddress] = new MembershipRow(entry with { IAmAliveTime = aliveAt }, NewETag());
            Bump();
            return Task.FromResult(true);
        }
    }

    public Task UpdateIAmAliveAsync(SiloAddress address, DateTimeOffset time, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_gate)
        {
            if (_rows.TryGetValue(address, out var current) && time > current.Entry.IAmAliveTime)
                _rows[address] = current with { Entry = current.Entry with { IAmAliveTime = time } };
        }
        return Task.CompletedTask;
    }

    public Task DeleteClusterAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _rows.Clear();
            _version = new TableVersion(0, NewETag());
        }
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private void Bump() => _version = new TableVersion(_version.Version + 1, NewETag());

    private static string NewETag() => Guid.NewGuid().ToString("N");
}
