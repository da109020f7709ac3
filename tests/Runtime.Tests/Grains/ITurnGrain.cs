namespace Hpf.Cluster.Runtime.Tests.Grains;

/// <summary>Records how calls enter and leave, to check turn-based execution.</summary>
[GrainInterface]
public interface ITurnGrain
{
    /// <summary>Enters, yields for a while, leaves; returns the arrival number.</summary>
    Task<int> Step(int caller, int sequence);

    /// <summary>The most calls that were ever inside the grain at once.</summary>
    Task<int> MaxConcurrency();

    /// <summary>The sequence numbers in the order they were served, per caller.</summary>
    Task<List<int>> Served(int caller);

    /// <summary>Marked reentrant on the interface: runs even while a Step is in progress.</summary>
    [Reentrant]
    Task<int> Peek();
}
