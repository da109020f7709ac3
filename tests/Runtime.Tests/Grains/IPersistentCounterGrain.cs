namespace Hpf.Cluster.Runtime.Tests.Grains;

/// <summary>A counter that checkpoints its value (and a vector) to grain storage on every change.</summary>
public interface IPersistentCounterGrain : IGrainWithStringKey
{
    Task<int> Add(int delta);

    Task<int> Get();

    Task<float[]> Vector();

    Task<string> Silo();
}
