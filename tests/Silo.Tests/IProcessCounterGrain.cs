namespace Hpf.Cluster.Silo.Tests;

/// <summary>Hosted by the Hpf.Silo processes under test (they load this assembly): a checkpointed counter.</summary>
public interface IProcessCounterGrain : Runtime.IGrainWithStringKey
{
    Task<int> Add(int delta);

    Task<string> Silo();
}
