namespace Hpf.Cluster.Runtime.Tests.Grains;

/// <summary>Two calls that can only both finish if the grain lets them interleave.</summary>
public interface IRendezvousGrain : IGrainWithStringKey
{
    /// <summary>Waits until <paramref name="parties"/> calls are inside, then returns how many were.</summary>
    Task<int> Meet(int parties);
}
