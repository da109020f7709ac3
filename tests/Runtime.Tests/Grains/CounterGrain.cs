namespace Hpf.Cluster.Runtime.Tests.Grains;

public sealed class CounterGrain : Grain, ICounterGrain
{
    private int _value;

    public Task<int> Add(int delta)
    {
        _value += delta;
        return Task.FromResult(_value);
    }

    public Task<int> Get() => Task.FromResult(_value);

    public Task Fail(string message) => throw new InvalidOperationException(message);

    public Task<float[]> Echo(float[] values) => Task.FromResult(values);

    public ValueTask<Batch> EchoBatch(Batch batch) => ValueTask.FromResult(batch);

    public ValueTask<string> WhereAmI() => ValueTask.FromResult(Silo.ToString());

    public async Task<int> Slow(int milliseconds, CancellationToken cancellationToken)
    {
        await Task.Delay(milliseconds, cancellationToken);
        return milliseconds;
    }

    public Task<int> AddToOther(string key, int delta) => GrainFactory.GetGrain<ICounterGrain>(key).Add(delta);

    public Task<int> AddThrough(ICounterGrain other, int delta) => other.Add(delta);

    public Task<ICounterGrain> Myself() => Task.FromResult(GrainFactory.GetGrain<ICounterGrain>(GrainKey));
}
