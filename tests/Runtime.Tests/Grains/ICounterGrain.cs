namespace Hpf.Cluster.Runtime.Tests.Grains;

/// <summary>A grain with one method per runtime feature the tests exercise.</summary>
public interface ICounterGrain : IGrainWithStringKey
{
    Task<int> Add(int delta);

    Task<int> Get();

    Task Fail(string message);

    Task<float[]> Echo(float[] values);

    ValueTask<Batch> EchoBatch(Batch batch);

    /// <summary>The silo the activation runs on, as text.</summary>
    ValueTask<string> WhereAmI();

    Task<int> Slow(int milliseconds, CancellationToken cancellationToken);

    /// <summary>Calls another counter grain from inside this one.</summary>
    Task<int> AddToOther(string key, int delta);

    /// <summary>Calls the grain it is handed a reference to.</summary>
    Task<int> AddThrough(ICounterGrain other, int delta);

    /// <summary>A reference to itself, made inside the grain.</summary>
    Task<ICounterGrain> Myself();
}
