using Hpf.Cluster.Runtime.Membership;

namespace Hpf.Cluster.Runtime.Testing;

/// <summary>One silo's (or client's) view of a <see cref="TestMembershipBoard"/>.</summary>
internal sealed class BoardMembershipView : IClusterMembershipView
{
    private readonly TestMembershipBoard _board;

    public BoardMembershipView(TestMembershipBoard board, SiloAddress self)
    {
        _board = board;
        Self = self;
        _board.Changed += (_, change) => Changed?.Invoke(this, change);
    }

    public SiloAddress Self { get; }

    public ClusterMembershipSnapshot Snapshot => _board.Snapshot;

    public IReadOnlyList<SiloAddress> ActiveSilos => _board.Snapshot.ActiveSilos;

    public long Version => _board.Snapshot.Version;

    public event EventHandler<ClusterMembershipChange>? Changed;

    public Task<ClusterMembershipSnapshot> WaitForChangeAsync(long afterVersion, CancellationToken cancellationToken) =>
        _board.WaitForChangeAsync(afterVersion, cancellationToken);
}
